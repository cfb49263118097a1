module runner-doctor.local/pause

go 1.24
