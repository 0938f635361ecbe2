"""Reviewer quality control: blind second reviews of resolved cases, and agreement figures.

Which resolved cases are picked (deterministic, so a test or an auditor can recompute it):

- a share ``settings.qa.sample_rate`` of all of them, chosen by a SHA-256 of the case id
  (the same case is always in or out at a given rate);
- every case an analyst resolved alone (no four-eyes) at or above
  ``settings.qa.solo_risk_threshold``.

The second reviewer sees the evidence but not the first decision, and may not be one of the
people who took it. Agreement is on the *verdict* (the label a resolution leaves: confirmed
or dismissed; dispute outcomes by their action). A disagreement goes to a lead, who rules
which reviewer was right. Cohen's kappa (scikit-learn) per original reviewer and per reason code
measures agreement beyond chance.
"""

# ``sampling`` is imported by case resolution, so this package imports nothing eagerly:
# ``trust.qa.review`` reads the resolution actions and would make an import cycle.
