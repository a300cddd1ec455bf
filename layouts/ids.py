"""Every component id in one place, so layouts, callbacks and browser tests agree."""

URL = "url"

# wall
WALL_SOCKET = "wall-socket"
WALL_STATE = "wall-state"
WALL_LABELS = "wall-labels"
WALL_MAP = "wall-map"
WALL_CELLS = "wall-cells"  # the wall map's cells shaded by open cases (filled in the browser)
WALL_INCIDENTS = "wall-incidents"  # the wall map's open cases, clustered where dense (filled in the browser)
WALL_INSET = "wall-inset"  # the whole prefecture beside the city core
WALL_INSET_INCIDENTS = "wall-inset-incidents"
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
INTAKE_WHERE = "intake-where"  # the picked point named (district › street › community · cell)
INTAKE_MAP_CLICK = "intake-map-click"  # {lon, lat} picked on the map, in the map's datum
INTAKE_FIELDS = ("category", "severity", "description", "location", "reporter_phone")
QUEUE = "queue"
QUEUE_VERSION = "queue-version"
QUEUE_PUSH = "queue-push"


def error(field: str) -> str:
    return f"error-{field}"

# video wall
WALL_ALERT = "wall-alert"
WALL_CARD = "wall-card"
WALL_MIX = "wall-mix"
WALL_RISK_COUNT = "wall-risk-count"  # incidents at breach risk now (assets/20_wall.js fills it)
WALL_RANKING = "wall-ranking"
WALL_FOCUS = "wall-focus"  # the rotating focus panel's title, dots and rows (assets/20_wall.js)
WALL_TICKER_MORE = "wall-ticker-more"  # "+k": the recent cases the paced ticker passed over (assets/21_wall_lane.js)
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

# handler workbench and verification
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
WB_MAP = "wb-map"  # the picked assignment's pin
WB_CARDS = "wb-cards"  # the queue as cards on a phone (the grid on wider screens)
WB_PICKED = "wb-picked"  # the picked code, from a grid row or a card
WB_CARD = "wb-card"
WB_PREVIEW = "wb-preview"  # the photos chosen for a resolve, shown before they are sent


def wb_card(code: str) -> dict[str, str]:
    """The id of one assignment's card on a phone."""
    return {"type": WB_CARD, "code": code}
VERIFY_SELECT = "verify-select"
VERIFY_LIST = "verify-list"
VERIFY_REASON = "verify-reason"
VERIFY_PASS = "verify-pass"
VERIFY_FAIL = "verify-fail"
VERIFY_MESSAGE = "verify-message"
VERIFY_VERSION = "verify-version"
VERIFY_CASE = "verify-case"
VERIFY_PASS_CONFIRM = "verify-pass-confirm"
VERIFY_FAIL_CONFIRM = "verify-fail-confirm"
VERIFY_DEPARTMENT = "verify-department"
VERIFY_CATEGORY = "verify-category"
VERIFY_DISTRICT = "verify-district"


def wb_action(action: str) -> str:
    return f"wb-{action}"


# operator tools: address type-ahead, search, caller history, duplicates, callback (回访)
INTAKE_PLACE = "intake-place"
INTAKE_LIKELY = "intake-likely"
INTAKE_ADD_CALLER = "intake-add-caller"
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
CALLBACK_DUE = "callback-due"
CALLBACK_PICK = "callback-pick"

# patrol report page (/report)
REPORT_PHOTO = "report-photo"
REPORT_PHOTO_NAME = "report-photo-name"
REPORT_LOCATE = "report-locate"
REPORT_LON = "report-lon"
REPORT_LAT = "report-lat"
REPORT_MAP = "report-map"
REPORT_MAP_BOX = "report-map-box"  # holds the map; a new map is drawn in it to go to the phone's position
REPORT_GPS = "report-gps"  # the phone's position, from "use my location"
REPORT_PLACE = "report-place"  # where the pin is, in names
REPORT_PREVIEW = "report-preview"  # the chosen photo, shown before it is sent
REPORT_CATEGORY = "report-category"
REPORT_NOTE = "report-note"
REPORT_ONSPOT = "report-onspot"
REPORT_SUBMIT = "report-submit"
REPORT_RESULT = "report-result"
REPORT_GEO_ERROR = "report-geo-error"

# the console's lists of running incidents (改派) and extension requests (延期); decisions are in the case file
ROUTING_PUSH = "routing-push"
REASSIGN_LIST = "reassign-list"
EXT_LIST = "ext-list"

# administration (/admin)
ADMIN_VERSION = "admin-version"
ADMIN_USERS = "admin-users"
ADMIN_USER_SELECT = "admin-user-select"
ADMIN_USERNAME = "admin-username"
ADMIN_DISPLAY = "admin-display"
ADMIN_PASSWORD = "admin-password"
ADMIN_ROLE = "admin-role"
ADMIN_DEPARTMENT = "admin-department"
ADMIN_DISTRICT = "admin-district"
ADMIN_ACTIVE = "admin-active"
ADMIN_USER_CREATE = "admin-user-create"
ADMIN_USER_SAVE = "admin-user-save"
ADMIN_USER_PASSWORD = "admin-user-password"
ADMIN_DEPT_CODE = "admin-dept-code"
ADMIN_DEPT_ZH = "admin-dept-zh"
ADMIN_DEPT_EN = "admin-dept-en"
ADMIN_DEPT_KIND = "admin-dept-kind"
ADMIN_DEPT_SAVE = "admin-dept-save"
ADMIN_RULE_KIND = "admin-rule-kind"
ADMIN_RULE_KEY = "admin-rule-key"
ADMIN_RULE_VALUE = "admin-rule-value"
ADMIN_RULE_SAVE = "admin-rule-save"
ADMIN_RULES = "admin-rules"
ADMIN_SLA_CATEGORY = "admin-sla-category"
ADMIN_SLA_SEVERITY = "admin-sla-severity"
ADMIN_SLA_LIMIT = "admin-sla-limit"
ADMIN_SLA_UNIT = "admin-sla-unit"
ADMIN_SLA_SAVE = "admin-sla-save"
ADMIN_SLA = "admin-sla"
ADMIN_AUDIT = "admin-audit"
ADMIN_MESSAGE = "admin-message"

# CSV import page (/import)
IMPORT_UPLOAD = "import-upload"
IMPORT_FILE_INFO = "import-file-info"
IMPORT_MAPPING = "import-mapping"
IMPORT_RUN = "import-run"
IMPORT_JOB = "import-job"
IMPORT_SOCKET = "import-socket"
IMPORT_PROGRESS = "import-progress"
IMPORT_PROGRESS_TEXT = "import-progress-text"
IMPORT_PHASES = "import-phases"
IMPORT_RESULT = "import-result"
IMPORT_ERRORS = "import-errors"
IMPORT_ERRORS_BUTTON = "import-errors-button"
IMPORT_ERRORS_DOWNLOAD = "import-errors-download"


def import_map(field: str) -> dict[str, str]:
    """The mapping dropdown of one of our fields (pattern-matching id)."""
    return {"type": "import-map", "field": field}

# leader decision support (/analytics)
AN_PERIOD = "an-period"
AN_PERIOD_END = "an-period-end"
AN_FREQ = "an-freq"
AN_DISTRICT = "an-district"
AN_CATEGORY = "an-category"
AN_DEPARTMENT = "an-department"
AN_INDICATOR = "an-indicator"
AN_AS_OF = "an-as-of"
AN_TREND = "an-trend"
AN_MIX = "an-mix"
AN_DISTRICT_MAP = "an-district-map"
AN_DISTRICT_SHADE = "an-district-shade"  # the district map's areas shaded by the indicator (its clicks drill down)
AN_GRID_MAP = "an-grid-map"
AN_GRID_SHADE = "an-grid-shade"
AN_RANKING = "an-ranking"
AN_SLA = "an-sla"
AN_HOT_MAP = "an-hot-map"
AN_HOT_SHADE = "an-hot-shade"  # hotspot cells on the hotspot map
AN_HOT_MARKS = "an-hot-marks"  # recurring-problem places on the hotspot map
#: Each shaded map's values as the server sent them; the browser hands them to the map's layer once that
#: layer has its areas (assets/15_map.js shadeWhenLoaded).
AN_DISTRICT_VALUES, AN_GRID_VALUES, AN_HOT_VALUES = "an-district-values", "an-grid-values", "an-hot-values"
AN_TABLE = "an-table"
AN_HOTSPOTS = "an-hotspots"
AN_RECURRENCE = "an-recurrence"
AN_DRILL = "an-drill"
AN_DRILL_SPEC = "an-drill-spec"
AN_TIMELINE = "an-timeline"
AN_EXPORT_LIST_CSV = "an-export-list-csv"
AN_EXPORT_LIST_XLSX = "an-export-list-xlsx"
AN_EXPORT_TABLE_CSV = "an-export-table-csv"
AN_EXPORT_TABLE_XLSX = "an-export-table-xlsx"
AN_DOWNLOAD = "an-download"
AN_REPORT_PDF = "an-report-pdf"  # the one-page report (callbacks/analytics_report.py)
AN_REPORT_PNG = "an-report-png"
AN_CODE = "an-code"


def an_code(code: str) -> dict[str, str]:
    """The drill-down list's button for one incident (pattern-matching id)."""
    return {"type": AN_CODE, "code": code}

# -- /quality: data quality per channel and period
QUALITY_FREQ = "quality-freq"
QUALITY_WEEKS = "quality-weeks"
QUALITY_TABLE = "quality-table"
QUALITY_EXPORT = "quality-export"
QUALITY_DOWNLOAD = "quality-download"

# -- /admin, more reference data (issues 5 and 6): gazetteer, calendar, on-the-spot rules, fallback department
ADMIN_PLACE_QUERY = "admin-place-query"
ADMIN_PLACE_SELECT = "admin-place-select"
ADMIN_PLACES = "admin-places"
ADMIN_PLACE_KIND = "admin-place-kind"
ADMIN_PLACE_NAME = "admin-place-name"
ADMIN_PLACE_ALIAS = "admin-place-alias"
ADMIN_PLACE_LON = "admin-place-lon"
ADMIN_PLACE_LAT = "admin-place-lat"
ADMIN_PLACE_ADD = "admin-place-add"
ADMIN_PLACE_SAVE = "admin-place-save"
ADMIN_PLACE_DELETE = "admin-place-delete"
ADMIN_CAL_YEAR = "admin-cal-year"
ADMIN_CAL_DAY = "admin-cal-day"
ADMIN_CAL_KIND = "admin-cal-kind"
ADMIN_CAL_NAME = "admin-cal-name"
ADMIN_CAL_SET = "admin-cal-set"
ADMIN_CAL_REMOVE = "admin-cal-remove"
ADMIN_CALENDAR = "admin-calendar"
ADMIN_HOURS = "admin-hours"
ADMIN_HOURS_SAVE = "admin-hours-save"
ADMIN_ONSPOT_CATEGORY = "admin-onspot-category"
ADMIN_ONSPOT_VALUE = "admin-onspot-value"
ADMIN_ONSPOT_SAVE = "admin-onspot-save"
ADMIN_ONSPOT = "admin-onspot"
ADMIN_FALLBACK = "admin-fallback"
ADMIN_FALLBACK_SAVE = "admin-fallback-save"
ADMIN_SETTINGS = "admin-settings"
# /admin: kiosks' device logins
ADMIN_DEVICES = "admin-devices"
ADMIN_DEVICE_NAME = "admin-device-name"
ADMIN_DEVICE_USER = "admin-device-user"
ADMIN_DEVICE_CREATE = "admin-device-create"
ADMIN_DEVICE_LINK = "admin-device-link"
ADMIN_DEVICE_VERSION = "admin-device-version"
DEVICE_REVOKE = "device-revoke"


def device_revoke(device_id: int) -> dict[str, str | int]:
    return {"type": DEVICE_REVOKE, "device": device_id}

# -- the case file (案卷) -------------------------------------------------------------------------
CASE_CODE = "case-code"
CASE_PINNED = "case-pinned"
CASE_INSTRUCTION = "case-instruction"
CASE_INSTRUCT = "case-instruct"
CASE_MESSAGE = "case-message"
CASE_BOX = "case-box"
CASE_REFRESH = "case-refresh"
CASE_VERSION = "case-version"
CASE_NOTICE = "case-notice"
CASE_DEPARTMENT = "case-department"
CASE_ASSIGNEE = "case-assignee"
CASE_DISPATCH = "case-dispatch"
CASE_REJECT_REASON = "case-reject-reason"
CASE_REJECT = "case-reject"
CASE_REJECT_CONFIRM = "case-reject-confirm"
CASE_REASSIGN_DEPARTMENT = "case-reassign-department"
CASE_REASSIGN_ASSIGNEE = "case-reassign-assignee"
CASE_REASSIGN_REASON = "case-reassign-reason"
CASE_REASSIGN = "case-reassign"
CASE_EXT_REASON = "case-ext-reason"
CASE_EXT_APPROVE = "case-ext-approve"
CASE_EXT_REFUSE = "case-ext-refuse"
# the case drawer on every page: a case link or a list's row opens the case file beside the page
CASE_DRAWER = "case-drawer"
CASE_DRAWER_BODY = "case-drawer-body"
CASE_OPEN = "case-open"  # {"code", "at"} set by assets/32_case.js


# 咨询即时办结 on the console, and its count on /analytics
CONSULT_ANSWER = "consult-answer"
CONSULT_SUBMIT = "consult-submit"
CONSULT_FIELDS = ("category", "description", "reporter_phone", "answer")
INTAKE_ADD_CALLER_MESSAGE = "intake-add-caller-message"  # a refused "add the caller" shows beside its buttons
AN_CONSULTATIONS = "an-consultations"
# -- 核查任务: the verifier sends a grid worker to check on the spot; the worker answers on the workbench ------
VT_WORKER = "vt-worker"
VT_NOTE = "vt-note"
VT_SEND = "vt-send"
VT_SEND_CONFIRM = "vt-send-confirm"
VT_MESSAGE = "vt-message"
VT_SECTION = "vt-section"
VT_TASKS = "vt-tasks"
VT_TASK_LINK = "vt-task-link"
VT_VERDICT = "vt-verdict"
VT_ANSWER_NOTE = "vt-answer-note"
VT_PHOTO = "vt-photo"
VT_PHOTO_NAME = "vt-photo-name"
VT_POSITION = "vt-position"
#: The device's position when the handler picks resolve photos on the workbench (kept with their provenance).
WB_PHOTO_POSITION = "wb-photo-position"
VT_ANSWER = "vt-answer"
VT_ANSWER_MESSAGE = "vt-answer-message"
VT_VERSION = "vt-version"
#: The moment ("as of", ISO) the analytics page last drew, so a change of indicator redraws that same moment.
AN_MOMENT = "an-moment"
