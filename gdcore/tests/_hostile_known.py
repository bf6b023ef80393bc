"""Hostile-input cases that still fail, each with its reason: the hostile-input issues' work list.

test_hostile marks these as strict expected failures, so a fix shows up as an
unexpected pass until its line is removed here.  The list only shrinks.
"""

OVERFLOW = "overflowing values give NaN or inf answers instead of a clear error"
DATES = "datetime64 X is cast to numbers instead of refused (gdcore._validation.refuse_dates)"
SIZE = "an absurd size is not refused before allocating"
NAMES = "no feature_names_in_: renamed or reordered columns accepted silently"
ONE_SAMPLE = "one sample gives NaN or inf answers"
HUGE_UINT = "2**64 - 1 gives NaN or inf answers"

# test name -> {parameter id: reason}
KNOWN_FAILURES = {
    "test_absurd_sizes_are_refused_before_allocating": {
        "CategoricalHMM": SIZE,
        "ExtraTreesClassifier": SIZE,
        "ExtraTreesRegressor": SIZE,
        "GAN": SIZE,
        "GMMHMM": SIZE,
        "GaussianHMM": SIZE,
        "KNeighborsClassifier": SIZE,
        "KNeighborsRegressor": SIZE,
        "MLPClassifier": SIZE,
        "MLPRegressor": SIZE,
        "NearestNeighbors": SIZE,
        "PoissonHMM": SIZE,
        "RandomForestClassifier": SIZE,
        "RandomForestRegressor": SIZE,
        "VAE": SIZE,
    },
    "test_dtypes_that_are_not_numbers_are_refused": {
        "DecisionTreeClassifier-datetime": DATES,
        "DecisionTreeRegressor-datetime": DATES,
        "ExtraTreesClassifier-datetime": DATES,
        "ExtraTreesRegressor-datetime": DATES,
        "GMMHMM-datetime": DATES,
        "GaussianHMM-datetime": DATES,
        "HMMClassifier-datetime": DATES,
        "KNeighborsClassifier-datetime": DATES,
        "KNeighborsRegressor-datetime": DATES,
        "MLPClassifier-datetime": DATES,
        "MLPRegressor-datetime": DATES,
        "PoissonHMM-datetime": DATES,
        "RandomForestClassifier-datetime": DATES,
        "RandomForestRegressor-datetime": DATES,
    },
    "test_extreme_values": {
        "ComplementNB-1e200": OVERFLOW,
        "ComplementNB-1e300": OVERFLOW,
        "ComplementNB-float32_max": OVERFLOW,
        "GaussianNB--1e300": OVERFLOW,
        "GaussianNB-1e200": OVERFLOW,
        "GaussianNB-1e300": OVERFLOW,
        "KNeighborsClassifier--1e300": OVERFLOW,
        "KNeighborsClassifier-1e200": OVERFLOW,
        "KNeighborsClassifier-1e300": OVERFLOW,
        "KNeighborsRegressor--1e300": OVERFLOW,
        "KNeighborsRegressor-1e200": OVERFLOW,
        "KNeighborsRegressor-1e300": OVERFLOW,
        "NearestNeighbors--1e300": OVERFLOW,
        "NearestNeighbors-1e200": OVERFLOW,
        "NearestNeighbors-1e300": OVERFLOW,
        "SVC--1e300": OVERFLOW,
        "SVC-1e200": OVERFLOW,
        "SVC-1e300": OVERFLOW,
        "SVR--1e300": OVERFLOW,
        "SVR-1e200": OVERFLOW,
        "SVR-1e300": OVERFLOW,
    },
    "test_huge_unsigned_integers": {
        "ComplementNB": HUGE_UINT,
    },
    "test_one_sample": {
        "GaussianNB": ONE_SAMPLE,
    },
    "test_pandas_columns_are_checked_by_name": {
        "CategoricalHMM": NAMES,
        "GMMHMM": NAMES,
        "GaussianHMM": NAMES,
        "HMMClassifier": NAMES,
        "PoissonHMM": NAMES,
    },
}
