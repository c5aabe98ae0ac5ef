"""Schemas of public "Something wrong?" reports: the anonymous body, the admin queue's
arguments and the report as staff see it. The same schemas validate and document."""
from marshmallow import Schema, ValidationError, fields, validate, validates

from directory_service.availability.public_reports import DETAIL_MAX, REASONS, STATES
from directory_service.schemas.availability import PageArgs, personal_data
from directory_service.schemas.records import StrictSchema

NO_PERSONAL_DATA = ("must not hold personal data (no names, dates of birth, phone numbers "
                    "or e-mail); say what is wrong, e.g. 'the number is disconnected'")


class PublicReportBody(StrictSchema):
    reason = fields.String(required=True, validate=validate.OneOf(
        REASONS, error="must be one of: " + ", ".join(REASONS)), metadata={
        "description": "closed; phone (does not work); hours (wrong); address (wrong); "
                       "beds (shown open but none); other (say what in `detail`)."})
    detail = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(max=DETAIL_MAX), metadata={
        "description": f"Optional, at most {DETAIL_MAX} characters, no personal data; "
                       "shown only to administrators and the facility."})

    @validates("detail")
    def _detail_is_not_personal(self, detail, **kwargs):
        if personal_data(detail):
            raise ValidationError(NO_PERSONAL_DATA)


class PublicReportAccepted(Schema):
    id = fields.String()
    record_id = fields.String()
    reason = fields.String()
    state = fields.String()
    created_at = fields.String()


class ReportSchema(PublicReportAccepted):
    detail = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)


class ReportListArgs(PageArgs):
    state = fields.String(validate=validate.OneOf(STATES, error="must be one of: "
                                                  + ", ".join(STATES)), metadata={
        "description": "Only reports in this state (default: all, newest first)."})
    record_id = fields.String(validate=validate.Length(min=1, max=300))


class ReportListResponse(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    reports = fields.List(fields.Nested(ReportSchema))
