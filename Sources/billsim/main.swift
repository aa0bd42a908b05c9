print("billsim")
