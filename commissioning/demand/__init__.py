"""Demand over time: monthly series, estimated Marac cases, trends, forecasts and need over a contract.

- ``series``:   reading and validating the long monthly file ``code, name, month, <measures>``
- ``imports``:  MPS files -> the embedded series in ``data/series/`` (with their citation)
- ``marac``:    SafeLives force totals apportioned to boroughs (largest remainder), labelled estimated
- ``trends``:   rates per 100,000 with Byar 95% intervals, borough against London, rolling sums
- ``forecast``: seasonal models, the rolling-origin backtest against seasonal naive, intervals
- ``contract``: need per contract year from the forecast (central figure and range)
"""
