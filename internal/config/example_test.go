package config_test

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/bounceguard/bounceguard/internal/config"
)

func ExampleFile_Apply() {
	file, err := config.Parse("config.toml", []byte(`
host = "imap.example.org"
relay = ["mail.example.org"]

[account.work]
host = "outlook.office365.com"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fs := pflag.NewFlagSet("once", pflag.ContinueOnError)
	host := fs.String("host", "", "")
	user := fs.String("user", "", "")
	fs.Parse([]string{"--user", "alice"})
	// relay belongs to another command in this example: passed over.
	known := func(key string) bool { return key == "relay" }
	if err := file.Apply(fs, "work", known); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*host, *user)
	// Output: outlook.office365.com alice
}
