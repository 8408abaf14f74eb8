"""Victim satisfaction: survey results, annual targets, measurement with intervals, quarterly publication.

The London Assembly review of victim care (January 2013), recommendations 9 and 10: challenging annual
targets towards the highest national rating, assessed on a balanced evidence base and published
quarterly. Modules, one concept each:

- ``areas``: which area codes a result may carry (boroughs, London, police force areas, BCUs)
- ``results``: the police-survey results CSV, read and checked
- ``returns``: the providers' client-satisfaction returns, the second source
- ``wilson``: the Wilson score interval and the rules that read intervals (status, change, gaps)
- ``targets``: the targets YAML (who set them, when, per area, group and year)
- ``measures``: the measurement table (results against targets, change, gaps, suppression)
- ``trajectory``: a proposed path of annual targets from a baseline to a goal
- ``publication``: the quarter's published content, shared by the page, the PDF and the HTML
"""
