#!/usr/bin/env bash
# Back up the databases of the Planning Poker containers, for example from cron:
#
#   15 3 * * * /opt/planning-poker/backup.sh >> /var/log/planning-poker-backup.log 2>&1
#
# Each copy is made inside the running container by `flask --app app backup`
# (SQLite's online backup API, then PRAGMA integrity_check), so the app keeps
# serving meanwhile. Copying poker.db itself would miss what still sits in
# poker.db-wal. Copies older than KEEP_DAYS days are deleted.
#
# Settings from the environment:
#   BACKUP_DIR  where the copies go (default /var/backups/planning-poker)
#   KEEP_DAYS   how many days copies are kept (default 30)
#   CONTAINERS  which containers (default planning-poker-prod planning-poker-stage)
#   DOCKER      the docker command (default docker)
set -euo pipefail

backup_dir="${BACKUP_DIR:-/var/backups/planning-poker}"
keep_days="${KEEP_DAYS:-30}"
containers="${CONTAINERS:-planning-poker-prod planning-poker-stage}"
docker="${DOCKER:-docker}"

umask 077
mkdir -p "$backup_dir"
stamp="$(date +%Y%m%d-%H%M%S)"
status=0

for container in $containers; do
    # The data volume is the container's only writable place of any size.
    inside="/app/data/backup-$stamp.db"
    target="$backup_dir/$container-$stamp.db"
    # docker cp keeps the file's mode from the container; backups hold
    # names and votes, so only the owner may read them.
    if "$docker" exec "$container" flask --app app backup "$inside" >/dev/null \
        && "$docker" cp "$container:$inside" "$target" \
        && chmod 600 "$target"; then
        echo "$(date -Is) $container: backup written to $target"
    else
        echo "$(date -Is) $container: backup FAILED" >&2
        status=1
    fi
    "$docker" exec "$container" rm -f "$inside" || status=1
done

find "$backup_dir" -maxdepth 1 -type f -name 'planning-poker-*.db' \
    -mtime "+$keep_days" -print -delete

exit "$status"
