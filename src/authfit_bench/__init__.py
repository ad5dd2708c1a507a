"""authfit's measuring instruments, kept beside the product and never imported by it: speed and memory
benchmarks, the HTTP load test, the dependency audit, and the generators of the measured documents."""
