"""The async server underneath Socket.IO: patching and serving, per async mode.

Everything that differs between eventlet, gevent and threading lives here,
so switching is the one setting ASYNC_MODE.
"""

import logging
import os
import signal
import warnings

log = logging.getLogger(__name__)

LISTEN_BACKLOG = 1024


def patch(mode):
    """Make the standard library cooperative for `mode`; call before other imports."""
    if mode == "eventlet":
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
            import eventlet
        eventlet.monkey_patch()
        # psycopg's default wait is C code that eventlet cannot make
        # cooperative; its selector-based one yields (gevent is detected).
        os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")
    elif mode == "gevent":
        from gevent import monkey

        monkey.patch_all()


def stop_on_sigterm():
    """Exit at once with status 0 on SIGTERM, which `docker stop` sends to process 1.

    The handler runs in whichever green thread is active, where SystemExit
    would end only that thread, and the server would then wait for its open
    WebSockets. Every change is committed before its ack, so exiting here
    loses nothing a client was told about.
    """

    def stop(_signum, _frame):
        log.info("SIGTERM received, stopping")
        logging.shutdown()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)


def serve(app, socketio):
    """Serve `app` on its HOST and PORT until the process is stopped."""
    host, port = app.config["HOST"], app.config["PORT"]
    mode = socketio.async_mode
    stop_on_sigterm()

    if mode == "eventlet":
        import eventlet
        import eventlet.wsgi

        listener = eventlet.listen((host, port), backlog=LISTEN_BACKLOG)
        eventlet.wsgi.server(
            listener,
            app,
            log_output=False,
            max_size=app.config["MAX_CONNECTIONS"],
            # no traceback in the answer when a request fails
            debug=False,
        )
    elif mode == "gevent":
        from gevent import pywsgi

        server = pywsgi.WSGIServer(
            (host, port),
            app,
            backlog=LISTEN_BACKLOG,
            log=None,
            # through the app's one-line log format instead of raw stderr
            error_log=logging.getLogger("gevent"),
        )
        server.serve_forever()
    else:
        socketio.run(
            app,
            host=host,
            port=port,
            allow_unsafe_werkzeug=True,
            debug=False,
            use_reloader=False,
            # Flask's run() would otherwise let FLASK_DEBUG switch debugging on
            load_dotenv=False,
        )
