print("csyntax-bench")
