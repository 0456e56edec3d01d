print("spw-bench")
