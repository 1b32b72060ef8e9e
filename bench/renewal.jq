# check_kms_renewal as a jq pipeline (bench/ only):
#   jq -r --argjson now EPOCH -f renewal.jq DOC
# clients losing activation within 30 days or already lost, WARNING above
# 2 % and CRITICAL above 10 % of the clients. Exit through halt_error.
def t: if . == null then null else fromdateiso8601 end;
def deadline($now):
  if .license_state == null then null
  elif .license_state == 0 or .license_state == 5 then $now
  elif .license_state == 1 then ((.last_success_at // .last_request_at) | t) as $x
       | if $x == null then null else $x + 180 * 86400 end
  elif .last_request_at == null or .state_expires_in_minutes == null then null
  else (.last_request_at | t) + .state_expires_in_minutes * 60 end;
(if ($now - (.generated_at | fromdateiso8601)) > 3600 then 2 else 0 end) as $age
| (.clients // []) as $c
| ($c | length) as $known
| ([$c[] | deadline($now) | select(. != null and . <= $now + 30 * 86400)] | length) as $n
| ([$age, (if $n > $known * 0.10 then 2 elif $n > $known * 0.02 then 1 else 0 end)] | max) as $code
| ("KMS RENEWAL " + (["OK", "WARNING", "CRITICAL"][$code]) + " - \($n) of \($known) clients lose activation within 30 days") as $msg
| if $code == 0 then $msg else ($msg + "\n" | halt_error($code)) end
