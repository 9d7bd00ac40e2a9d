"""Feedback: the claimer's verdict on the assessment ("was this the cause?"), the measure of the engine."""
