"""The online geocoder, for street addresses only, and only when an operator sets GEOCODER.

Everything else `near` accepts is placed offline (geo.py); a searcher's address leaves the
service only to this geocoder, rate limited and limited to the countries served.
"""
import functools


def make_geocoder(settings):
    """The configured geopy geocoder, rate limited, or None to stay offline."""
    if not settings.geocoder:
        return None
    from geopy.extra.rate_limiter import RateLimiter
    from geopy.geocoders import Nominatim

    client = Nominatim(user_agent=settings.geocoder_user_agent, timeout=3)
    # Only the countries the directory serves: an address never lands on another continent.
    limited = RateLimiter(functools.partial(client.geocode, country_codes=["us", "ca"]),
                          min_delay_seconds=1.0)

    class _Geocoder:
        @functools.lru_cache(maxsize=1024)
        def geocode(self, text):
            return limited(text)

    return _Geocoder()
