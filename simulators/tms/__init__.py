"""The TMS: system of record for shipments, tenders, carriers, line-haul milestones and charges."""
