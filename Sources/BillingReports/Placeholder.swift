// BillingReports
