"""Every component id in one place, so layouts, callbacks and browser tests agree."""

URL = "url"

# wall
WALL_SOCKET = "wall-socket"
WALL_STATE = "wall-state"
WALL_LABELS = "wall-labels"
WALL_MAP = "wall-map"
WALL_TICKER = "wall-ticker"
WALL_CLOCK = "wall-clock"
WALL_CONN = "wall-connection"
KPI_KEYS = ("intake_today", "open", "overdue", "closed_today", "ontime_rate")


def kpi(key: str) -> str:
    return f"kpi-{key}"


# intake console
INTAKE_SOCKET = "intake-socket"
INTAKE_CATEGORY = "intake-category"
INTAKE_SEVERITY = "intake-severity"
INTAKE_DESCRIPTION = "intake-description"
INTAKE_ADDRESS = "intake-address"
INTAKE_LON = "intake-lon"
INTAKE_LAT = "intake-lat"
INTAKE_PHONE = "intake-phone"
INTAKE_SUBMIT = "intake-submit"
INTAKE_RESULT = "intake-result"
INTAKE_MAP = "intake-map"
INTAKE_FIELDS = ("category", "severity", "description", "location", "reporter_phone")
QUEUE = "queue"
QUEUE_VERSION = "queue-version"
QUEUE_PUSH = "queue-push"
QUEUE_SELECT = "queue-select"
QUEUE_DEPARTMENT = "queue-department"
QUEUE_DISPATCH = "queue-dispatch"
QUEUE_REJECT = "queue-reject"
QUEUE_MESSAGE = "queue-message"


def error(field: str) -> str:
    return f"error-{field}"
