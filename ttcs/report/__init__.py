"""The province report (issue 12): what the province answers itself (``province_answers``) and the
draft report the Department sends, following the outline A–D (``draft``)."""
