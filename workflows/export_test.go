package workflows

// JobAttempts is how many times a job's activity is tried before the job
// fails, for the tests outside the package.
var JobAttempts = int(jobOptions("").RetryPolicy.MaximumAttempts)
