import cProfile, pstats
from tests.summaries.test_offline import *
steps = [step(f"Step {n}: recreated the Outlook profile", "Same 0x800CCC0E error", "failed", n) for n in range(60)]
material = vpn_material(MTU_A, MTU_B, DNS, steps=steps)
cProfile.run("for _ in range(20): offline.summarize(material, now=NOW)", "/tmp/x/p.out")
pstats.Stats("/tmp/x/p.out").sort_stats("cumtime").print_stats(12)
