"""Physical constants and unit conversions, in one place (names say the units).

Every module that converts between days, years, hours and seconds, molecules and moles, or µm³ and
litres imports the factor from here, so a convention (a year is 365.25 days) cannot differ between them.
"""

DAYS_PER_YEAR = 365.25  # Julian year: the convention of the trials' "months" (30.44 d) and of PK software
HOURS_PER_DAY = 24.0
SECONDS_PER_DAY = 86400.0
AVOGADRO_PER_MOL = 6.02214076e23  # exact (SI 2019)
UM3_PER_LITRE = 1e15
#: Longest simulated time a scenario's duration_days (and `bmu run --days`) may ask for: 100 years.
MAX_DURATION_DAYS = 36500
