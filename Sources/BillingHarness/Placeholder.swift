// BillingHarness
