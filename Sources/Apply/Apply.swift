// The apply stage (issue 3) lives here.
