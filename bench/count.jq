# check_kms_count as a jq pipeline (bench/ only):
#   jq -r --argjson now EPOCH -f count.jq DOC
# current count per product against 25/30 (Windows) or 5/7 (Office); no
# forecast. Exit 0/1/2 through halt_error, as a wrapper script would map it.
def plabel: if .application_id == "55c92734-d682-4d71-983e-d6ec3f16059f" then "Windows" else .name end;
def lim: if .application_id == "55c92734-d682-4d71-983e-d6ec3f16059f" then [25, 30] else [5, 7] end;
def st: (.current_count // -1) as $c | lim as $l
  | if $c < $l[0] then 2 elif $c < $l[1] then 1 else 0 end;
(if ($now - (.generated_at | fromdateiso8601)) > 3600 then 2 else 0 end) as $age
| [.products[] | {label: plabel, count: (.current_count // -1), st: st}] as $p
| ([$age] + [$p[].st] | max) as $code
| ("KMS COUNT " + (["OK", "WARNING", "CRITICAL"][$code]) + " - "
   + ([$p[] | "\(.label) \(.count)"] | join(", "))) as $msg
| if $code == 0 then $msg else ($msg + "\n" | halt_error($code)) end
