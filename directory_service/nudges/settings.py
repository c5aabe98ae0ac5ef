"""The nudge and mail settings checked at start-up (config.Settings.check calls this)."""
from directory_service.config import ConfigError


def check(settings):
    from directory_service import mail
    from directory_service.nudges.due import parse_times

    try:
        mail.parse_url(settings.smtp_url)
        parse_times(settings.nudge_times)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if settings.smtp_url and "@" not in settings.mail_from:
        raise ConfigError("MAIL_FROM must be an address (nudges@example.org) when SMTP_URL "
                          "is set")
    if not settings.public_url.startswith(("http://", "https://")):
        raise ConfigError("PUBLIC_URL must start with http:// or https://")
    if not 1 <= settings.nudge_window_minutes <= 24 * 60:
        raise ConfigError("NUDGE_WINDOW_MINUTES must be between 1 and 1440")
    if not 0 < settings.nudge_link_hours <= 7 * 24:
        raise ConfigError("NUDGE_LINK_HOURS must be positive and at most a week (168)")
    if not 0 < settings.nudge_session_minutes <= settings.staff_session_max_hours * 60:
        raise ConfigError("NUDGE_SESSION_MINUTES must be positive and at most "
                          "STAFF_SESSION_MAX_HOURS")
    if not 1 <= settings.nudge_max_contacts <= 20:
        raise ConfigError("NUDGE_MAX_CONTACTS must be between 1 and 20")
    if not 1 <= settings.nudge_max_attempts <= 50:
        raise ConfigError("NUDGE_MAX_ATTEMPTS must be between 1 and 50")
    if settings.smtp_timeout_s <= 0:
        raise ConfigError("SMTP_TIMEOUT_S must be positive")
