"""Browser view (Mesa SolaraViz): watch remodeling live, or replay a finished run's snapshots.

`frames` and `timeseries` turn arrays into images (no Solara), `models` are the Mesa models the page
drives (live and replay), `components` the Solara panels, `page` assembles them, `app` is what
`solara run` loads (`bmu view` starts it).
"""

import warnings

# Mesa 3.3's ComponentsView trips Solara's rules-of-hooks check when its module is imported, and
# Solara warns about cookies on plain http; both are harmless here and would bury what `bmu view` prints.
warnings.filterwarnings("ignore", message=r".*use_state. found despite early return", category=UserWarning)
warnings.filterwarnings("ignore", message=r"Cookies with samesite=none require https", category=UserWarning)
