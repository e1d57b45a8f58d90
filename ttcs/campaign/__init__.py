"""The campaign: what a province runs — its settings (config/campaign.yaml: backend, deadline,
read limits, pacing, SMTP, provisioning), its contacts, the administrative-unit registry, and the
safe YAML loader they share.

``settings`` is config/campaign.yaml as typed objects; ``contacts`` / ``contacts_format`` the
contacts sheet (units' e-mails, coordinators); ``registry`` the old communes and the new units
(exact pinned data); ``yamlfile`` loads YAML with Vietnamese errors.
May import: the base modules (``ttcs.errors``, ``ttcs.labels``, ``ttcs.text``) only.
"""
