"""The incident domain: model, lifecycle table, taxonomy, the store, intake and KPIs."""
