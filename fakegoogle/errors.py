"""Google's JSON error bodies: Sheets v4 (``status``) and Drive v3 (``errors[].reason``)."""

from __future__ import annotations

from typing import Any

STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
          404: "NOT_FOUND", 409: "ALREADY_EXISTS", 429: "RESOURCE_EXHAUSTED",
          500: "INTERNAL", 503: "UNAVAILABLE"}

UNAUTHENTICATED = ("Request had invalid authentication credentials. Expected OAuth 2 access "
                   "token, login cookie or other valid authentication credential. See "
                   "https://developers.google.com/identity/sign-in/web/devconsole-project.")
NO_PERMISSION = "The caller does not have permission"
NOT_FOUND = "Requested entity was not found."
STORAGE_QUOTA = "The user's Drive storage quota has been exceeded."
INSUFFICIENT_SCOPES = "Request had insufficient authentication scopes."


class GoogleError(Exception):
    """An error answer: HTTP status and the JSON body Google would send."""

    def __init__(self, status: int, body: dict[str, Any],
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body.get('error', {}).get('message', body)}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def sheets_error(code: int, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> GoogleError:
    error: dict[str, Any] = {"code": code, "message": message,
                             "status": STATUS.get(code, "UNKNOWN")}
    if details:
        error["details"] = details
    return GoogleError(code, {"error": error}, headers)


def bad_request(message: str) -> GoogleError:
    return sheets_error(400, message)


def bad_field(field: str, message: str) -> GoogleError:
    return sheets_error(400, message, [{
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"field": field, "description": message}]}])


def drive_error(code: int, message: str, reason: str, domain: str = "global",
                location: str | None = None, location_type: str = "parameter",
                headers: dict[str, str] | None = None) -> GoogleError:
    item: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if location:
        item["location"] = location
        item["locationType"] = location_type
    return GoogleError(code, {"error": {"code": code, "message": message, "errors": [item]}},
                       headers)


def drive_not_found(file_id: str, location: str = "fileId") -> GoogleError:
    return drive_error(404, f"File not found: {file_id}.", "notFound", location=location)


def drive_forbidden(message: str = "The user does not have sufficient permissions for this "
                    "file.", reason: str = "insufficientFilePermissions") -> GoogleError:
    return drive_error(403, message, reason)


def storage_quota_exceeded() -> GoogleError:
    return drive_error(403, STORAGE_QUOTA, "storageQuotaExceeded", domain="usageLimits")


def unauthenticated(api: str) -> GoogleError:
    headers = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", '
               'error="invalid_token"'}
    if api == "drive":
        error = drive_error(401, UNAUTHENTICATED, "authError", location="Authorization",
                            location_type="header", headers=headers)
        error.body["error"]["errors"][0]["message"] = "Invalid Credentials"
        error.body["error"]["status"] = "UNAUTHENTICATED"
        return error
    return sheets_error(401, UNAUTHENTICATED, headers=headers)


def quota_exceeded(api: str, bucket: str, limit: int, project_number: str,
                   headers: dict[str, str] | None = None) -> GoogleError:
    """429 exactly as Sheets words it (``bucket`` is "read" or "write")."""
    noun = "Read" if bucket == "read" else "Write"
    if api == "drive":
        return drive_error(429, "Rate Limit Exceeded", "rateLimitExceeded",
                           domain="usageLimits", headers=headers)
    message = (f"Quota exceeded for quota metric '{noun} requests' and limit '{noun} requests "
               f"per minute per user' of service 'sheets.googleapis.com' for consumer "
               f"'project_number:{project_number}'.")
    return sheets_error(429, message, [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED",
         "domain": "googleapis.com",
         "metadata": {"quota_location": "global", "service": "sheets.googleapis.com",
                      "consumer": f"projects/{project_number}",
                      "quota_metric": f"sheets.googleapis.com/{bucket}_requests",
                      "quota_limit": f"{noun}RequestsPerMinutePerUser",
                      "quota_limit_value": str(limit)}},
        {"@type": "type.googleapis.com/google.rpc.Help",
         "links": [{"description": "Request a higher quota limit.",
                    "url": "https://cloud.google.com/docs/quotas/help/request_increase"}]}],
        headers=headers)


def server_error(api: str, code: int, headers: dict[str, str] | None = None) -> GoogleError:
    if api == "drive":
        if code == 503:
            return drive_error(503, "Service Unavailable", "backendError", headers=headers)
        return drive_error(500, "Internal Error", "internalError", headers=headers)
    if code == 503:
        return sheets_error(503, "The service is currently unavailable.", headers=headers)
    return sheets_error(500, "Internal error encountered.", headers=headers)
