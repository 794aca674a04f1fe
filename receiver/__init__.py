"""Lantian's HJ 212 receiver (上位机 side of HJ 212-2017 s6): devices connect, every accepted
packet is fsynced into the hourly inbox log before it is acknowledged (README "HJ 212 receiver")."""
