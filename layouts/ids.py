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

# video wall (issue 7)
WALL_ALERT = "wall-alert"
WALL_CARD = "wall-card"
WALL_MIX = "wall-mix"
WALL_RANKING = "wall-ranking"
WALL_REPLAY = "wall-replay"
WALL_REPLAY_BADGE = "wall-replay-badge"
WALL_REPLAY_DAY = "wall-replay-day"
WALL_REPLAY_SPEED = "wall-replay-speed"
WALL_REPLAY_GO = "wall-replay-go"
WALL_REPLAY_REQUEST = "wall-replay-request"
ALERTS = "alerts"
ALERTS_PUSH = "alerts-push"
ALERTS_VERSION = "alerts-version"
ALERTS_MESSAGE = "alerts-message"


def spark(key: str) -> str:
    return f"spark-{key}"


def alert_ack(code: str) -> dict[str, str]:
    return {"type": "alert-ack", "code": code}

# handler workbench and verification (issue 6)
WB_SOCKET = "workbench-socket"
WB_GRID = "wb-grid"
WB_VERSION = "wb-version"
WB_SELECTED = "wb-selected"
WB_DETAIL = "wb-detail"
WB_TEXT = "wb-text"
WB_HOURS = "wb-hours"
WB_PHOTOS = "wb-photos"
WB_PHOTO_NAMES = "wb-photo-names"
WB_MESSAGE = "wb-message"
WB_TOAST = "wb-toast"
WB_ACTIONS = ("acknowledge", "return", "extension", "resolve")
VERIFY_SELECT = "verify-select"
VERIFY_LIST = "verify-list"
VERIFY_REASON = "verify-reason"
VERIFY_PASS = "verify-pass"
VERIFY_FAIL = "verify-fail"
VERIFY_MESSAGE = "verify-message"
VERIFY_VERSION = "verify-version"


def wb_action(action: str) -> str:
    return f"wb-{action}"


# operator tools (issue 5): address type-ahead, search, caller history, duplicates, callback (回访)
INTAKE_PLACE = "intake-place"
CALLER_HISTORY = "caller-history"
SEARCH_QUERY = "search-query"
SEARCH_RESULTS = "search-results"
DUP_STATE = "dup-state"
DUP_PANEL = "dup-panel"
DUP_TARGET = "dup-target"
DUP_MERGE = "dup-merge"
DUP_KEEP = "dup-keep"
DUP_MESSAGE = "dup-message"
CALLBACK_CODE = "callback-code"
CALLBACK_REACHED = "callback-reached"
CALLBACK_SATISFACTION = "callback-satisfaction"
CALLBACK_COMMENT = "callback-comment"
CALLBACK_REOPEN = "callback-reopen"
CALLBACK_SUBMIT = "callback-submit"
CALLBACK_MESSAGE = "callback-message"

# patrol report page (/report)
REPORT_PHOTO = "report-photo"
REPORT_PHOTO_NAME = "report-photo-name"
REPORT_LOCATE = "report-locate"
REPORT_LON = "report-lon"
REPORT_LAT = "report-lat"
REPORT_MAP = "report-map"
REPORT_CATEGORY = "report-category"
REPORT_NOTE = "report-note"
REPORT_ONSPOT = "report-onspot"
REPORT_SUBMIT = "report-submit"
REPORT_RESULT = "report-result"
REPORT_GEO_ERROR = "report-geo-error"
