module github.com/bounceguard/bounceguard

go 1.26

require (
	github.com/BurntSushi/toml v1.5.0
	github.com/emersion/go-imap/v2 v2.0.0-beta.8
	github.com/emersion/go-message v0.18.2
	github.com/emersion/go-msgauth v0.7.0
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6
	github.com/spf13/pflag v1.1.0
	go.etcd.io/bbolt v1.5.0
)

require (
	golang.org/x/crypto v0.31.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/text v0.21.0 // indirect
)
