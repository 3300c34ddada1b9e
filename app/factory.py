"""The application factory, made of small named steps."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from config import BASE_DIR, INSTANCE_DIR, config_for, env, sqlalchemy_url


def create_app(config: str | dict[str, Any] | None = None) -> Flask:
    """Create the app; ``config`` is a configuration name or a dict of overrides (tests)."""
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    load_configuration(app, config)
    trust_proxies(app)
    configure_logging(app)
    register_extensions(app)
    register_database_hooks(app)
    register_security(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def load_configuration(app: Flask, config: str | dict[str, Any] | None) -> None:
    """Load the configuration class, then the environment, then explicit overrides."""
    overrides = config if isinstance(config, dict) else {}
    name = config if isinstance(config, str) else overrides.get("ENV_NAME")
    config_class = config_for(name)
    config_class.check()
    app.config.from_object(config_class)
    if not app.config.get("TESTING"):
        if env("DATABASE_URL"):
            app.config["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(env("DATABASE_URL"))
        if env("SECRET_KEY"):
            app.config["SECRET_KEY"] = env("SECRET_KEY")
    app.config.update({k: v for k, v in overrides.items() if k != "ENV_NAME"})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        INSTANCE_DIR.mkdir(exist_ok=True)


def trust_proxies(app: Flask) -> None:
    """Behind a load balancer, read the client's address and the https scheme from its headers."""
    hops = app.config["PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def configure_logging(app: Flask) -> None:
    """Readable logs in development, one JSON object a line in production (:mod:`app.logs`)."""
    from app.logs import install

    install(app)


def register_extensions(app: Flask) -> None:
    """Attach every extension to the app."""
    from app.extensions import babel, csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    mail.init_app(app)
    limiter.init_app(app)
    import app.security.sessions  # noqa: F401  (registers the user loader)


def select_locale() -> str:
    """French first; English when the person chose it with the language switch on this browser,
    or, on a browser where they never used it, when their account says so."""
    from flask_login import current_user

    choice = request.cookies.get("lang") if request else None
    if choice is None and request and current_user.is_authenticated:
        choice = current_user.locale
    return choice if choice in ("fr", "en") else "fr"


def register_database_hooks(app: Flask) -> None:
    """SQLite: WAL, foreign keys, busy timeout, and write transactions that begin as writes."""
    from app.database import configure_engine

    with app.app_context():
        configure_engine(app)


def register_security(app: Flask) -> None:
    """Deny by default, security headers, no caching of personal pages."""
    from app.security.access import deny_by_default
    from app.security.headers import install_headers

    app.before_request(deny_by_default)
    install_headers(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per audience."""
    from app.admin import bp as admin_bp
    from app.agent import bp as agent_bp
    from app.auth import bp as auth_bp
    from app.privacy import bp as privacy_bp
    from app.public import bp as public_bp
    from app.resident import bp as resident_bp
    from app.volunteer import bp as volunteer_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(resident_bp, url_prefix="/habitant")
    app.register_blueprint(volunteer_bp, url_prefix="/benevole")
    app.register_blueprint(agent_bp, url_prefix="/agent")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(privacy_bp)


def register_errorhandlers(app: Flask) -> None:
    """French error pages (JSON for JSON clients); a CSRF failure sends the person back."""
    from app.errors import install

    install(app)


def register_template_helpers(app: Flask) -> None:
    """Globals and filters for templates: the organisation, labels, dates, phone numbers."""
    from app.templating import install

    install(app)


def register_commands(app: Flask) -> None:
    """``flask seed-demo``, ``flask create-user``, ``flask import-neighbourhoods``."""
    from app.commands import install

    install(app)

