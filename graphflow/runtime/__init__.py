"""Running graphs: Session (owns variable values) and the plan executor."""
