"""Where countries are, roughly: a point per country for "could one person have travelled
this far this fast" (impossible travel between sign-ins).

Each country is placed at its capital; a country not listed gives no distance (the signal is
then unknown, never a false alarm).
"""

from __future__ import annotations

import math

# ISO 3166-1 alpha-2 -> (latitude, longitude) of the capital, in degrees.
CAPITALS: dict[str, tuple[float, float]] = {
    "AE": (24.5, 54.4), "AR": (-34.6, -58.4), "AT": (48.2, 16.4), "AU": (-35.3, 149.1),
    "BD": (23.8, 90.4), "BE": (50.8, 4.4), "BG": (42.7, 23.3), "BR": (-15.8, -47.9),
    "BY": (53.9, 27.6), "CA": (45.4, -75.7), "CH": (46.9, 7.4), "CL": (-33.4, -70.7),
    "CN": (39.9, 116.4), "CO": (4.7, -74.1), "CZ": (50.1, 14.4), "DE": (52.5, 13.4),
    "DK": (55.7, 12.6), "DZ": (36.8, 3.1), "EE": (59.4, 24.7), "EG": (30.0, 31.2),
    "ES": (40.4, -3.7), "ET": (9.0, 38.7), "FI": (60.2, 24.9), "FR": (48.9, 2.4),
    "GB": (51.5, -0.1), "GH": (5.6, -0.2), "GR": (38.0, 23.7), "HK": (22.3, 114.2),
    "HR": (45.8, 16.0), "HU": (47.5, 19.0), "ID": (-6.2, 106.8), "IE": (53.3, -6.3),
    "IL": (31.8, 35.2), "IN": (28.6, 77.2), "IQ": (33.3, 44.4), "IR": (35.7, 51.4),
    "IT": (41.9, 12.5), "JP": (35.7, 139.7), "KE": (-1.3, 36.8), "KR": (37.6, 127.0),
    "KZ": (51.2, 71.4), "LK": (6.9, 79.9), "LT": (54.7, 25.3), "LV": (56.9, 24.1),
    "MA": (34.0, -6.8), "MX": (19.4, -99.1), "MY": (3.1, 101.7), "NG": (9.1, 7.5),
    "NL": (52.4, 4.9), "NO": (59.9, 10.8), "NP": (27.7, 85.3), "NZ": (-41.3, 174.8),
    "PE": (-12.0, -77.0), "PH": (14.6, 121.0), "PK": (33.7, 73.1), "PL": (52.2, 21.0),
    "PT": (38.7, -9.1), "RO": (44.4, 26.1), "RS": (44.8, 20.5), "RU": (55.8, 37.6),
    "SA": (24.7, 46.7), "SE": (59.3, 18.1), "SG": (1.3, 103.8), "SK": (48.1, 17.1),
    "TH": (13.8, 100.5), "TN": (36.8, 10.2), "TR": (39.9, 32.9), "TW": (25.0, 121.6),
    "UA": (50.5, 30.5), "US": (38.9, -77.0), "UY": (-34.9, -56.2), "VE": (10.5, -66.9),
    "VN": (21.0, 105.8), "ZA": (-25.7, 28.2),
}  # fmt: skip
EARTH_RADIUS_KM = 6371.0


def distance_km(a: str, b: str) -> float | None:
    """Great-circle distance between two countries' capitals (0 for the same country)."""
    if a == b:
        return 0.0
    if a not in CAPITALS or b not in CAPITALS:
        return None
    (lat1, lon1), (lat2, lon2) = CAPITALS[a], CAPITALS[b]
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
