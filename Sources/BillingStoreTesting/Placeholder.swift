// BillingStoreTesting
