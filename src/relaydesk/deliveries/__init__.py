"""deliveries"""
