<#
.SYNOPSIS
    Writes the kms-status v1 document (DESIGN.md) of this KMS host.

.DESCRIPTION
    Runs on the KMS host as a scheduled task every few minutes. It only
    READS: WMI (SoftwareLicensingService, SoftwareLicensingProduct), the
    "Key Management Service" event log (12290, one event per activation
    request) and the Application log (12291-12294). It never activates,
    never calls a WMI method, never changes a setting.

    The client inventory is merged with the previous document (by CMID), so
    it outlives the event log, which rolls over in weeks on a busy host.
    The document is written to a temporary file in the same directory and
    then swapped in, so a reader never sees half a file.

.PARAMETER OutFile
    The document to write (and to read back as the previous state).

.PARAMETER EventDays
    How far back 12291-12294 events are reported (default 7 days).

.PARAMETER ForgetAfterDays
    Clients silent for longer than this are dropped from the inventory
    (default 400: well past the 180-day validity, so they were reported lost
    for months first).

.EXAMPLE
    powershell.exe -NoProfile -ExecutionPolicy Bypass -File kms-status-exporter.ps1 -OutFile C:\inetpub\kms-status\kms-status.json
#>
[CmdletBinding()]
param(
    [string] $OutFile = 'C:\inetpub\kms-status\kms-status.json',
    [int] $EventDays = 7,
    [int] $ForgetAfterDays = 400
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$Invariant = [System.Globalization.CultureInfo]::InvariantCulture
$WindowsAppId = '55c92734-d682-4d71-983e-d6ec3f16059f'
$ExporterVersion = '1.0'
# The client fields of the document, in order (DESIGN.md).
$ClientKeys = 'name', 'cmid', 'sku_id', 'application_id', 'virtual', 'required_count',
    'first_seen_at', 'last_request_at', 'last_result', 'last_success_at',
    'license_state', 'state_expires_in_minutes'

# --- helpers ---------------------------------------------------------------

# RFC 3339 UTC text of a [datetime] (any Kind); $null stays $null.
function Format-Utc($When) {
    if ($null -eq $When) { return $null }
    return $When.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", $Invariant)
}

# [datetime] (UTC) from a document value. Windows PowerShell 5.1's
# ConvertFrom-Json leaves timestamps as strings, PowerShell 7 turns them
# into [datetime]: accept both. $null or '' gives $null.
function ConvertTo-Utc($Value) {
    if ($null -eq $Value -or "$Value" -eq '') { return $null }
    if ($Value -is [datetime]) { return $Value.ToUniversalTime() }
    return [DateTimeOffset]::Parse([string]$Value, $Invariant).UtcDateTime
}

# '0xC004F038' from '0xc004f038', 'C004F038', or a signed/unsigned number.
function Format-HResult($Text) {
    $t = ([string]$Text).Trim()
    if ($t -match '^(0x)?([0-9A-Fa-f]{1,8})$') {
        $n = [Convert]::ToUInt32($Matches[2], 16)
    } else {
        $n = [uint32]([int64]$t -band 0xFFFFFFFF)
    }
    return ('0x{0:X}' -f $n)
}

# A WMI uint32 as the schema wants it: $null for absent and for WMI's "not
# applicable" (4294967295, which an [int] cast would refuse or write as -1),
# and for anything outside [Min, Max]; else the number.
function ConvertFrom-WmiUInt32($Value, [int64]$Min = 0, [int64]$Max = 4294967294) {
    if ($null -eq $Value -or "$Value" -eq '') { return $null }
    $n = [int64]0
    if (-not [int64]::TryParse("$Value", [ref]$n)) { return $null }
    if ($n -eq 4294967295 -or $n -lt $Min -or $n -gt $Max) { return $null }
    return $n
}

# A property of a parsed JSON object, or $null when it is absent
# (StrictMode makes reading an absent property an error).
function Get-Field($Object, [string]$Name) {
    if ($null -eq $Object) { return $null }
    $prop = $Object.PSObject.Properties[$Name]
    if ($prop) { return $prop.Value }
    return $null
}

# Previous document, or $null on the first run (or when it is unreadable:
# the inventory then starts again and clients_complete_since says so).
function Read-PreviousDocument([string]$Path) {
    if (-not (Test-Path -LiteralPath $Path)) { return $null }
    try {
        $doc = [System.IO.File]::ReadAllText($Path) | ConvertFrom-Json
        if ((Get-Field $doc 'format') -eq 'kms-status' -and (Get-Field $doc 'version') -eq 1) { return $doc }
    } catch {
        Write-Warning "previous document $Path unreadable, starting a new inventory: $($_.Exception.Message)"
    }
    return $null
}

# --- host and products (WMI, read only) -------------------------------------

# SoftwareLicensingService: documented members IsKeyManagementServiceMachine,
# KeyManagementServiceListeningPort, KeyManagementServiceDnsPublishing,
# VLActivationInterval, VLRenewalInterval, KeyManagementServiceCurrentCount.
function Get-HostState {
    $svc = Get-CimInstance -ClassName SoftwareLicensingService
    $cs = Get-CimInstance -ClassName Win32_ComputerSystem
    $name = if ($cs.PartOfDomain) { "$($cs.DNSHostName).$($cs.Domain)" } else { $cs.DNSHostName }
    $port = ConvertFrom-WmiUInt32 $svc.KeyManagementServiceListeningPort
    if ($port -eq 0) { $port = 1688 }       # 0 = never set = the default port
    elseif ($port -gt 65535) { $port = $null }
    $spp = Get-Service -Name sppsvc -ErrorAction SilentlyContinue
    $svcCount = ConvertFrom-WmiUInt32 $svc.KeyManagementServiceCurrentCount
    return [ordered]@{
        name                        = $name.ToLowerInvariant()
        kms_enabled                 = ([int]$svc.IsKeyManagementServiceMachine -eq 1)
        port                        = $port
        service_state               = if ($spp) { "$($spp.Status)".ToLowerInvariant() } else { $null }
        dns_publishing              = [bool]$svc.KeyManagementServiceDnsPublishing
        activation_interval_minutes = ConvertFrom-WmiUInt32 $svc.VLActivationInterval
        renewal_interval_minutes    = ConvertFrom-WmiUInt32 $svc.VLRenewalInterval
        _service_count              = $(if ($null -eq $svcCount) { -1 } else { $svcCount })
    }
}

# SoftwareLicensingProduct: the products holding a KMS host key
# (IsKeyManagementServiceMachine = 1, PartialProductKey set). Documented
# members used: Name, ApplicationID, LicenseStatus, GracePeriodRemaining,
# KeyManagementServiceCurrentCount and the eight
# KeyManagementService*Requests counters. A machine that is not a KMS host
# reports its licensed Windows product with current_count -1.
function Get-Products {
    $props = 'ID', 'Name', 'ApplicationID', 'LicenseStatus', 'GracePeriodRemaining',
        'PartialProductKey', 'IsKeyManagementServiceMachine', 'KeyManagementServiceCurrentCount',
        'KeyManagementServiceTotalRequests', 'KeyManagementServiceFailedRequests',
        'KeyManagementServiceUnlicensedRequests', 'KeyManagementServiceLicensedRequests',
        'KeyManagementServiceOOBGraceRequests', 'KeyManagementServiceOOTGraceRequests',
        'KeyManagementServiceNonGenuineGraceRequests', 'KeyManagementServiceNotificationRequests'
    $all = @(Get-CimInstance -ClassName SoftwareLicensingProduct -Filter 'PartialProductKey IS NOT NULL' -Property $props)
    $hosts = @($all | Where-Object { [int]$_.IsKeyManagementServiceMachine -eq 1 })
    $out = @()
    foreach ($p in $hosts) {
        $out += [ordered]@{
            name                    = $p.Name
            application_id          = "$($p.ApplicationID)".ToLowerInvariant()
            license_status          = ConvertFrom-WmiUInt32 $p.LicenseStatus 0 6
            grace_remaining_minutes = ConvertFrom-WmiUInt32 $p.GracePeriodRemaining
            current_count           = ConvertFrom-WmiUInt32 $p.KeyManagementServiceCurrentCount
            requests                = [ordered]@{
                total             = ConvertFrom-WmiUInt32 $p.KeyManagementServiceTotalRequests
                failed            = ConvertFrom-WmiUInt32 $p.KeyManagementServiceFailedRequests
                unlicensed        = ConvertFrom-WmiUInt32 $p.KeyManagementServiceUnlicensedRequests
                licensed          = ConvertFrom-WmiUInt32 $p.KeyManagementServiceLicensedRequests
                oob_grace         = ConvertFrom-WmiUInt32 $p.KeyManagementServiceOOBGraceRequests
                oot_grace         = ConvertFrom-WmiUInt32 $p.KeyManagementServiceOOTGraceRequests
                non_genuine_grace = ConvertFrom-WmiUInt32 $p.KeyManagementServiceNonGenuineGraceRequests
                notification      = ConvertFrom-WmiUInt32 $p.KeyManagementServiceNotificationRequests
            }
        }
    }
    if ($out.Count -eq 0) {
        $os = $all | Where-Object { "$($_.ApplicationID)" -eq $WindowsAppId } | Select-Object -First 1
        if ($os) {
            $out += [ordered]@{
                name = $os.Name; application_id = $WindowsAppId
                license_status = ConvertFrom-WmiUInt32 $os.LicenseStatus 0 6
                grace_remaining_minutes = ConvertFrom-WmiUInt32 $os.GracePeriodRemaining
                current_count = -1; requests = $null
            }
        }
    }
    return ,$out
}

# SKU (activation) id -> application id, from the license files this host
# knows. Event 12290 names the client's SKU but not its application.
function Get-SkuApplicationMap {
    $map = @{}
    foreach ($p in Get-CimInstance -ClassName SoftwareLicensingProduct -Property 'ID', 'ApplicationID') {
        $map["$($p.ID)".ToLowerInvariant()] = "$($p.ApplicationID)".ToLowerInvariant()
    }
    return $map
}

# --- event 12290: the client inventory ---------------------------------------

# The nine fields of a 12290 event: HRESULT, N-policy, client FQDN, CMID,
# client time, VM flag, license state, minutes to state expiry, SKU id.
# The event's Properties are used when they hold the fields (9 values, or 10
# with the fields at 1..9); else the text after "Info:" in the message is
# split at commas. Either way the CMID must parse as a GUID.
function Get-RequestFields($Record) {
    $values = @($Record.Properties | ForEach-Object { "$($_.Value)".Trim() })
    $fields = $null
    if ($values.Count -eq 9) { $fields = $values }
    elseif ($values.Count -ge 10) { $fields = $values[1..9] }
    $guid = [guid]::Empty
    if ($null -eq $fields -or -not [guid]::TryParse($fields[3], [ref]$guid)) {
        $info = ([string]$Record.Message -split 'Info:', 2)[-1]
        $fields = @($info -split ',' | ForEach-Object { $_.Trim() })
    }
    if ($fields.Count -lt 9 -or -not [guid]::TryParse($fields[3], [ref]$guid)) { return $null }
    return $fields
}

# Applies one 12290 request to the inventory (hashtable CMID -> client).
# Requests older than what the inventory already holds are ignored, so
# re-reading an overlapping window changes nothing.
function Update-Client($Inventory, $Fields, [datetime]$At, $SkuMap, $Counts, [int64]$ServiceCount) {
    $cmid = $Fields[3].ToLowerInvariant()
    $c = $Inventory[$cmid]
    if ($null -ne $c -and $c.last_request_at -and $c.last_request_at -ge $At) { return }
    if ($null -eq $c) {
        $c = [ordered]@{}
        foreach ($key in $ClientKeys) { $c[$key] = $null }
        $c.cmid = $cmid
        $c.first_seen_at = $At
        $Inventory[$cmid] = $c
    }
    $sku = $Fields[8].ToLowerInvariant()
    $app = $SkuMap[$sku]
    $need = [int]$Fields[1]
    $result = Format-HResult $Fields[0]
    # The host logs the result of its own processing. A client whose N-policy
    # is above the product's current count gets 0xC004F038 on its side even
    # when the host logged 0x0: record what the client experiences. (The
    # current count is today's, not the one at the request: an approximation
    # that only matters in the hours the count crosses a threshold.)
    $count = if ($app -and $Counts.ContainsKey($app)) { $Counts[$app] } else { $ServiceCount }
    if ($result -eq '0x0' -and $count -ge 0 -and $count -lt $need) { $result = '0xC004F038' }

    $c.name = $Fields[2].ToLowerInvariant()
    $c.sku_id = $sku
    $c.application_id = $app
    $c.virtual = ($Fields[5] -eq '1')
    $c.required_count = if ($need -ge 1) { $need } else { $null }
    $c.last_request_at = $At
    $c.last_result = $result
    if ($null -eq $c.first_seen_at -or $At -lt $c.first_seen_at) { $c.first_seen_at = $At }
    if ($result -eq '0x0') {
        # Activated or renewed now: licensed for the next 180 days, whatever
        # state the client reported before this request.
        $c.last_success_at = $At
        $c.license_state = 1
        $c.state_expires_in_minutes = 180 * 1440
    } else {
        $c.license_state = ConvertFrom-WmiUInt32 $Fields[6] 0 6
        $c.state_expires_in_minutes = ConvertFrom-WmiUInt32 $Fields[7]
    }
}

# Inventory from the previous document: CMID -> client with [datetime]s.
function Import-Inventory($Previous) {
    $inv = @{}
    foreach ($p in @(Get-Field $Previous 'clients')) {
        if ($null -eq $p -or -not (Get-Field $p 'cmid')) { continue }
        $c = [ordered]@{}
        foreach ($key in $ClientKeys) {
            $value = Get-Field $p $key
            if ($key -like '*_at') { $value = ConvertTo-Utc $value }
            $c[$key] = $value
        }
        $c.cmid = "$($c.cmid)".ToLowerInvariant()
        $inv[$c.cmid] = $c
    }
    return $inv
}

# --- events 12291-12294 (Application log) ------------------------------------

# 12291 KMS failed to start, 12292 renewal timer failed, 12293 DNS publishing
# failed (Properties: HRESULT, domain), 12294 DNS publishing succeeded.
function Get-ServiceEvents([datetime]$Since) {
    $raw = @(Get-WinEvent -FilterHashtable @{ LogName = 'Application'; Id = 12291, 12292, 12293, 12294; StartTime = $Since } -ErrorAction SilentlyContinue |
        Where-Object { $_.ProviderName -match 'Security-SPP|Security-Licensing|Software Protection' })
    $out = @()
    foreach ($e in ($raw | Sort-Object TimeCreated)) {
        $hr = $null
        if ($e.Id -ne 12294 -and $e.Properties.Count -ge 1) {
            try { $hr = Format-HResult $e.Properties[0].Value } catch { $hr = $null }
        } elseif ($e.Id -eq 12294) { $hr = '0x0' }
        $out += [ordered]@{ id = [int]$e.Id; at = Format-Utc $e.TimeCreated
            hresult = $hr; message = ($e.Message -replace '\s+', ' ').Trim() }
    }
    return ,$out
}

# --- main ---------------------------------------------------------------------

$now = [datetime]::UtcNow
# .NET file calls need a full path (they do not follow Set-Location).
$OutFile = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutFile)
$previous = Read-PreviousDocument $OutFile
$hostState = Get-HostState
$serviceCount = $hostState._service_count
$hostState.Remove('_service_count')
$products = Get-Products
$counts = @{}
foreach ($p in $products) { $counts[$p.application_id] = $p.current_count }
$skuMap = Get-SkuApplicationMap
$inventory = Import-Inventory $previous

# Read 12290 from where the previous run stopped (10 min overlap: harmless,
# see Update-Client), or the whole log on the first run.
$since = $null
$bookmark = ConvertTo-Utc (Get-Field (Get-Field $previous 'exporter') 'last_request_event_at')
if ($bookmark) { $since = $bookmark.AddMinutes(-10) }
$filter = @{ LogName = 'Key Management Service'; Id = 12290 }
if ($since) { $filter.StartTime = $since.ToLocalTime() }
$lastEventAt = if ($since) { $since.AddMinutes(10) } else { $null }
$oldestEventAt = $null
$requests = @(Get-WinEvent -FilterHashtable $filter -ErrorAction SilentlyContinue | Sort-Object TimeCreated)
foreach ($e in $requests) {
    $at = $e.TimeCreated.ToUniversalTime()
    if ($null -eq $oldestEventAt) { $oldestEventAt = $at }
    $fields = Get-RequestFields $e
    if ($null -eq $fields) { Write-Verbose "12290 record $($e.RecordId): fields not recognised, skipped"; continue }
    Update-Client $inventory $fields $at $skuMap $counts $serviceCount
    if ($null -eq $lastEventAt -or $at -gt $lastEventAt) { $lastEventAt = $at }
}

# How far back the inventory is complete: kept from the previous document;
# on a first run, the oldest request still in the log (or now).
$completeSince = ConvertTo-Utc (Get-Field $previous 'clients_complete_since')
if ($null -eq $completeSince) { $completeSince = if ($oldestEventAt) { $oldestEventAt } else { $now } }

# Forget clients silent for longer than -ForgetAfterDays; format the rest.
$forget = $now.AddDays(-$ForgetAfterDays)
$clients = New-Object System.Collections.Generic.List[object]
foreach ($c in ($inventory.Values | Sort-Object { $_.name })) {
    if ($c.last_request_at -and $c.last_request_at -lt $forget) { continue }
    $out = [ordered]@{}
    foreach ($key in $ClientKeys) {
        $out[$key] = if ($key -like '*_at') { Format-Utc $c[$key] } else { $c[$key] }
    }
    $clients.Add($out)
}

# Service events of the last -EventDays days, plus the newest 12294 of any
# age still in the log, so "12293 after the last 12294" can be judged.
$events = Get-ServiceEvents $now.AddDays(-$EventDays).ToLocalTime()
if (-not ($events | Where-Object { $_.id -eq 12294 })) {
    $last12294 = Get-WinEvent -FilterHashtable @{ LogName = 'Application'; Id = 12294 } -MaxEvents 1 -ErrorAction SilentlyContinue
    if ($last12294) {
        $events = @([ordered]@{ id = 12294; at = Format-Utc $last12294.TimeCreated; hresult = '0x0'
            message = ($last12294.Message -replace '\s+', ' ').Trim() }) + $events
    }
}

$doc = [ordered]@{
    format                 = 'kms-status'
    version                = 1
    generated_at           = Format-Utc $now
    host                   = $hostState
    products               = $products
    clients_complete_since = Format-Utc $completeSince
    clients                = $clients.ToArray()
    events                 = $events
    exporter               = [ordered]@{ version = $ExporterVersion; last_request_event_at = Format-Utc $lastEventAt }
}
$json = ConvertTo-Json -InputObject $doc -Depth 6 -Compress

# Write beside the target, then swap it in: File.Replace (ReplaceFile) keeps
# the target's ACL and never leaves a moment without a file, which
# Move-Item -Force (delete, then move) does not guarantee.
$dir = Split-Path -Parent $OutFile
if (-not (Test-Path -LiteralPath $dir)) { New-Item -ItemType Directory -Path $dir | Out-Null }
$tmp = Join-Path $dir (".kms-status.{0}.tmp" -f $PID)
[System.IO.File]::WriteAllText($tmp, $json, (New-Object System.Text.UTF8Encoding($false)))
if (Test-Path -LiteralPath $OutFile) {
    [System.IO.File]::Replace($tmp, $OutFile, $null)
} else {
    Move-Item -LiteralPath $tmp -Destination $OutFile -Force
}
