# bounceguard check from Sieve (Dovecot Pigeonhole with sieve_extprograms):
# file backscatter and virus mail in Quarantine as it is delivered.
#
# dovecot.conf:
#   plugin {
#     sieve_plugins = sieve_extprograms
#     sieve_global_extensions = +vnd.dovecot.execute
#     sieve_execute_bin_dir = /usr/lib/dovecot/sieve-execute
#   }
# and put bounceguard-quarantine (beside this file) in that folder.
#
# The test is the program's exit status: true only when bounceguard says
# quarantine; an error or a timeout leaves the message where it was.
require ["vnd.dovecot.execute", "fileinto", "mailbox"];

if execute :pipe "bounceguard-quarantine" ["--sent", "/home/alice/Maildir/.Sent"] {
    fileinto :create "Quarantine";
    stop;
}
