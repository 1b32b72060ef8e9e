<#
.SYNOPSIS
    Writes the kms-status v1 document (docs/DESIGN.md) of this KMS host.

.DESCRIPTION
    Runs on the KMS host as a scheduled task every few minutes. It only
    READS: WMI (SoftwareLicensingService, SoftwareLicensingProduct), the
    "Key Management Service" event log (12290, one event per activation
    request) and the Application log (12291-12294 of the Software
    Protection service), and the registry value DnsDomainPublishList (the
    domains the host publishes its SRV record in). It never activates,
    never calls a WMI method, never changes a licensing setting. Besides the document it writes one
    line per run to the Application log (source kms-status-exporter).

    The client inventory is keyed by (CMID, SKU id): Office 2013+ sends the
    machine's CMID too, so one machine holds one record per product. It is
    merged with the previous document, so it outlives the event log. Each
    record lists the names (client FQDNs) that sent its CMID, newest first,
    at most 32, and how many distinct names ever: machines cloned without
    sysprep /generalize share one CMID under several names. The
    document is written to a temporary file beside the target and swapped
    in, so a reader never sees half a file.

    A log that cannot be read (access denied, no such log) fails the run:
    no document is written, it goes stale, and the plugins' freshness check
    alerts. "No events" is not a failure.

.PARAMETER OutFile
    The document to write (and to read back as the previous state).

.PARAMETER EventDays
    How far back 12291-12294 events are reported (default 7 days).

.PARAMETER ForgetAfterDays
    Clients silent for longer than this are dropped from the inventory
    (default 400: well past the 180-day validity).

.PARAMETER DryRun
    Build the document from this host and write it to stdout; OutFile is
    read (as the previous state) but not written, nothing is logged.

.PARAMETER SelfTest
    Run the parsing, validation and merge on the fixtures beside the script
    (fixtures\*.json) and compare with fixtures\expected\*.json. Reads
    nothing from this host. Exit code 0 when every case matches.

.EXAMPLE
    powershell.exe -NoProfile -ExecutionPolicy Bypass -File kms-status-exporter.ps1 -OutFile C:\inetpub\kms-status\kms-status.json
.EXAMPLE
    powershell.exe -NoProfile -ExecutionPolicy Bypass -File kms-status-exporter.ps1 -SelfTest
#>
[CmdletBinding()]
param(
    [string] $OutFile = 'C:\inetpub\kms-status\kms-status.json',
    [int] $EventDays = 7,
    [int] $ForgetAfterDays = 400,
    [switch] $DryRun,
    [switch] $SelfTest,
    [string] $FixtureDir = ''
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$Invariant = [System.Globalization.CultureInfo]::InvariantCulture
$WindowsAppId = '55c92734-d682-4d71-983e-d6ec3f16059f'
$ExporterVersion = '1.3'
$LogSource = 'kms-status-exporter'
$UInt32NotApplicable = [int64]4294967295   # WMI's uint32 "-1"; written as a decimal literal: 0xFFFFFFFF is Int32 -1 in PowerShell 5.1
# The providers of 12291-12294 in the Application log (Windows 7 / 2008 R2
# and later: Security-SPP, whose classic source name is the second; Vista /
# 2008: Security-Licensing-SLC). Volume Shadow Copy writes ids in the same
# range under its own provider: those must not count.
$SppProviders = @('Microsoft-Windows-Security-SPP', 'Software Protection Platform Service',
    'Microsoft-Windows-Security-Licensing-SLC')
# The client fields of the document, in order (docs/DESIGN.md, "The status document").
$ClientKeys = 'name', 'cmid', 'sku_id', 'application_id', 'virtual', 'required_count',
    'first_seen_at', 'last_request_at', 'last_result', 'last_success_at',
    'license_state', 'state_expires_in_minutes'
$MaxSkippedListed = 20
# names_seen: at most this many names per record (the document's limit)
$MaxNamesSeen = 32
# host.dns_publish_domains: at most this many domains (the document's limit)
$MaxPublishDomains = 64
$SppRegistryKey = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\SoftwareProtectionPlatform'

# --- helpers ---------------------------------------------------------------

# RFC 3339 UTC text of a [datetime] (any Kind); $null stays $null.
function Format-Utc($When) {
    if ($null -eq $When) { return $null }
    return $When.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", $Invariant)
}

# [datetime] (UTC) from a document value: a string (Windows PowerShell 5.1)
# or a [datetime] (PowerShell 7 turns timestamps into dates). $null or ''
# gives $null; text without an offset is taken as UTC.
function ConvertTo-Utc($Value) {
    if ($null -eq $Value -or "$Value" -eq '') { return $null }
    if ($Value -is [datetime]) { return $Value.ToUniversalTime() }
    $styles = [System.Globalization.DateTimeStyles]::AssumeUniversal
    return [DateTimeOffset]::Parse([string]$Value, $Invariant, $styles).UtcDateTime
}

# '0xC004F038' from a HRESULT as an event or WMI gives it, or $null when it
# is not one. '0x...' and text with a hex letter are hex (at most 8 digits);
# digits only are decimal, signed or unsigned 32-bit (so '10000000' is ten
# million, not 0x10000000). The arithmetic is [int64]: in PowerShell 5.1 the
# literal 0xFFFFFFFF is Int32 -1 and a mask with it does nothing.
function ConvertTo-HResult($Text) {
    if ($null -eq $Text) { return $null }
    $t = ([string]$Text).Trim()
    $n = [int64]0
    if ($t -match '^0[xX]([0-9A-Fa-f]{1,8})$' -or $t -match '^([0-9A-Fa-f]*[A-Fa-f][0-9A-Fa-f]*)$') {
        if ($Matches[1].Length -gt 8) { return $null }
        $n = [Convert]::ToInt64($Matches[1], 16)
    } elseif ($t -match '^-?[0-9]{1,10}$') {
        $n = [int64]::Parse($t, $Invariant)
        if ($n -lt -2147483648 -or $n -gt $UInt32NotApplicable) { return $null }
        if ($n -lt 0) { $n += 4294967296 }
    } else {
        return $null
    }
    return ('0x{0:X}' -f $n)
}

# An integer from WMI or an event field, or $null: for absent, for text
# that is not an integer, for WMI's uint32 "not applicable" (4294967295),
# and for anything outside [Min, Max]. One conversion for every uint32
# read, so no [int] cast can throw on a fresh host and no 4294967295 is
# published. Returns [int64].
function ConvertFrom-WmiUInt32($Value, [int64]$Min = 0, [int64]$Max = 4294967294) {
    if ($null -eq $Value -or "$Value" -eq '') { return $null }
    $n = [int64]0
    if (-not [int64]::TryParse(("$Value").Trim(), [System.Globalization.NumberStyles]::AllowLeadingSign, $Invariant, [ref]$n)) { return $null }
    if ($n -eq $UInt32NotApplicable -or $n -lt $Min -or $n -gt $Max) { return $null }
    return $n
}

# Lower-case 8-4-4-4-12 text of a GUID (braces and blanks allowed), or $null.
function ConvertTo-GuidText($Value) {
    $g = [guid]::Empty
    if ($null -eq $Value -or -not [guid]::TryParse(([string]$Value).Trim(), [ref]$g)) { return $null }
    return $g.ToString('D')
}

# Whether a dictionary holds a key. JavaScriptSerializer gives a
# Dictionary[string,object], whose IDictionary.Contains is an explicit
# interface member that Windows PowerShell 5.1 cannot call; Hashtable and
# Dictionary have ContainsKey, OrderedDictionary only Contains.
function Test-Key($Dictionary, [string]$Key) {
    if ($Dictionary.PSObject.Methods['ContainsKey']) { return $Dictionary.ContainsKey($Key) }
    return $Dictionary.Contains($Key)
}

# A member of a parsed JSON object (a dictionary), of a CIM instance or of
# a PSObject; $null when absent (StrictMode makes reading an absent
# property an error).
function Get-Field($Object, [string]$Name) {
    if ($null -eq $Object) { return $null }
    if ($Object -is [System.Collections.IDictionary]) {
        if (Test-Key $Object $Name) { return $Object[$Name] }
        return $null
    }
    $prop = $Object.PSObject.Properties[$Name]
    if ($prop) { return $prop.Value }
    return $null
}

# JSON text -> dictionaries and arrays, without ConvertFrom-Json's limit:
# in Windows PowerShell 5.1 it uses JavaScriptSerializer with the default
# MaxJsonLength (2,097,152 characters), so a previous document of ~5,000
# clients or more would fail to load and the inventory would restart. The
# serializer is used directly with the limit at its maximum; PowerShell 7
# has no System.Web.Extensions and no such limit (-AsHashtable).
function Read-Json([string]$Text) {
    if ($PSVersionTable.PSEdition -eq 'Core') {
        return ConvertFrom-Json -InputObject $Text -AsHashtable
    }
    Add-Type -AssemblyName System.Web.Extensions
    $serializer = New-Object System.Web.Script.Serialization.JavaScriptSerializer
    $serializer.MaxJsonLength = [int]::MaxValue
    $serializer.RecursionLimit = 64
    return ,$serializer.DeserializeObject($Text)
}

function Read-JsonFile([string]$Path) {
    return ,(Read-Json ([System.IO.File]::ReadAllText($Path, [System.Text.Encoding]::UTF8)))
}

# Previous document, or $null on the first run (or when it is unreadable:
# the inventory then starts again and clients_complete_since says so).
function Read-PreviousDocument([string]$Path) {
    if (-not (Test-Path -LiteralPath $Path)) { return $null }
    try {
        $doc = Read-JsonFile $Path
        if ((Get-Field $doc 'format') -eq 'kms-status' -and "$(Get-Field $doc 'version')" -eq '1') { return $doc }
        Write-Warning "previous document $Path is not a kms-status v1 document, starting a new inventory"
    } catch {
        Write-Warning "previous document $Path unreadable, starting a new inventory: $($_.Exception.Message)"
    }
    return $null
}

# --- event records ------------------------------------------------------------

# One event as the rest of the script sees it, from a Get-WinEvent record
# or from a fixture ({Id, ProviderName, TimeCreated, RecordId, Properties,
# Message}): the same shape either way, so -SelfTest runs the same code.
# Values are the insertion strings (Properties[].Value) as invariant text.
function ConvertTo-EventRecord($Source, [switch]$FromFixture) {
    if ($FromFixture) {
        $values = @(Get-Field $Source 'Properties' | ForEach-Object { if ($null -eq $_) { '' } else { [string]$_ } })
        $at = ConvertTo-Utc (Get-Field $Source 'TimeCreated')
    } else {
        $values = @($Source.Properties | ForEach-Object { if ($null -eq $_.Value) { '' } else { [string]$_.Value } })
        $at = $Source.TimeCreated.ToUniversalTime()
    }
    return [pscustomobject]@{
        Id           = [int](Get-Field $Source 'Id')
        ProviderName = [string](Get-Field $Source 'ProviderName')
        TimeCreated  = $at
        RecordId     = Get-Field $Source 'RecordId'
        Values       = $values
        Message      = Get-Field $Source 'Message'
    }
}

# True when a Get-WinEvent error means "the query matched no event". Every
# other error (access denied, no such log, the service unavailable) means
# the log could not be read.
function Test-NoEventsError([string]$FullyQualifiedErrorId) {
    return $FullyQualifiedErrorId -like 'NoMatchingEventsFound,*' -or $FullyQualifiedErrorId -eq 'NoMatchingEventsFound'
}

# Get-WinEvent with errors made terminating: no events gives an empty
# list, any other error is thrown with the log named.
function Read-EventLog([hashtable]$Query, [string]$What) {
    try {
        return ,@(Get-WinEvent @Query -ErrorAction Stop | ForEach-Object { ConvertTo-EventRecord $_ })
    } catch {
        if (Test-NoEventsError $_.FullyQualifiedErrorId) { return ,@() }
        throw "cannot read $What ($($_.FullyQualifiedErrorId)): $($_.Exception.Message)"
    }
}

# --- event 12290: the client inventory ---------------------------------------

# The nine fields of a 12290 event, from its Properties only (never the
# Message, whose text is localised and may not render): HRESULT, N-policy,
# client FQDN, CMID, client time, VM flag, license state, minutes to state
# expiry, activation (SKU) id. The message template is "...Info:%n%1" with
# the fields comma-joined in %1 (Volume Activation technical reference), and
# public scripts read them as ReplacementStrings[1..9]; so: 1 value split at
# commas, 9 values, or 10 with the fields at 1..9. Every field is checked.
# Returns @{ Fields = ... } or @{ Reason = '...' }.
function Get-RequestFields($Record) {
    $values = @($Record.Values | ForEach-Object { $_.Trim() })
    if ($values.Count -eq 1 -and $values[0].Contains(',')) { $values = @($values[0].Split(',') | ForEach-Object { $_.Trim() }) }
    elseif ($values.Count -eq 10) { $values = $values[1..9] }
    if ($values.Count -ne 9) { return @{ Reason = "$($values.Count) fields, not 9" } }

    $hr = ConvertTo-HResult $values[0]
    if ($null -eq $hr) { return @{ Reason = "HRESULT '$($values[0])' is not a 32-bit number" } }
    $need = ConvertFrom-WmiUInt32 $values[1] 0 2147483647
    if ($null -eq $need) { return @{ Reason = "N-policy '$($values[1])' is not an unsigned integer" } }
    $cmid = ConvertTo-GuidText $values[3]
    if ($null -eq $cmid) { return @{ Reason = "CMID '$($values[3])' is not a GUID" } }
    $vm = ConvertFrom-WmiUInt32 $values[5]
    if ($null -eq $vm) { return @{ Reason = "VM flag '$($values[5])' is not an unsigned integer" } }
    $state = ConvertFrom-WmiUInt32 $values[6]
    if ($null -eq $state -and $values[6] -ne "$UInt32NotApplicable") { return @{ Reason = "license state '$($values[6])' is not an unsigned integer" } }
    $expires = ConvertFrom-WmiUInt32 $values[7]
    if ($null -eq $expires -and $values[7] -ne "$UInt32NotApplicable") { return @{ Reason = "minutes to expiry '$($values[7])' is not an unsigned integer" } }
    $sku = ConvertTo-GuidText $values[8]
    if ($null -eq $sku) { return @{ Reason = "SKU id '$($values[8])' is not a GUID" } }

    $name = $values[2].ToLowerInvariant()
    return @{ Fields = [ordered]@{
        hresult = $hr; need = $need; name = $(if ($name) { $name } else { $null }); cmid = $cmid
        virtual = ($vm -ne 0)
        license_state = $(if ($null -ne $state -and $state -le 6) { $state } else { $null })
        expires = $expires; sku = $sku
    } }
}

# --- names per CMID (names_seen) -------------------------------------------

# A record's names: $c['_names'] (name -> last request [datetime] or $null,
# at most $MaxNamesSeen) and $c['_count'] (distinct names ever, including
# those no longer listed). Names are lower case (Get-RequestFields).

# The names of a table, newest request first, then by name (ordinal, so
# every culture writes the same order); a name without a time comes last.
function Get-NamesSeenOrder($Names) {
    $list = [string[]]@($Names.Keys)
    $max = [datetime]::MaxValue.Ticks
    $keys = [string[]]@($list | ForEach-Object {
        $at = $Names[$_]
        $t = if ($null -eq $at) { $max } else { $max - $at.Ticks }
        '{0:D19}{1}{2}' -f $t, "`t", $_
    })
    [Array]::Sort($keys, $list, [System.StringComparer]::Ordinal)
    return ,$list
}

# Keep the $MaxNamesSeen newest names.
function Limit-NamesSeen($Client) {
    $names = $Client['_names']
    if ($names.Count -le $MaxNamesSeen) { return }
    $order = Get-NamesSeenOrder $names
    for ($i = $MaxNamesSeen; $i -lt $order.Count; $i++) { $names.Remove($order[$i]) }
}

# One request's name. A known name only moves forward in time; a new name
# counts once. When the list is full, a name older than every listed one is
# one that fell off the list (or a request read again in the bookmark's
# overlap): it was counted then and changes nothing now.
function Add-NameSeen($Client, $Name, $At) {
    if (-not $Name) { return }
    $names = $Client['_names']
    if ($names.ContainsKey($Name)) {
        $old = $names[$Name]
        if ($null -ne $At -and ($null -eq $old -or $At -gt $old)) { $names[$Name] = $At }
        return
    }
    if ($names.Count -ge $MaxNamesSeen) {
        $order = Get-NamesSeenOrder $names
        $oldest = $names[$order[$order.Count - 1]]
        if ($null -eq $At -or ($null -ne $oldest -and $At -le $oldest)) { return }
    }
    $names[$Name] = $At
    $Client['_count'] = [int64]$Client['_count'] + 1
    Limit-NamesSeen $Client
}

# Two records of one (CMID, SKU) pair in a previous document: the names of
# $From join $Into's; distinct names ever: at least either count and the
# names both list.
function Merge-NamesSeen($Into, $From) {
    $names = $Into['_names']
    foreach ($n in @($From['_names'].Keys)) {
        $at = $From['_names'][$n]
        if (-not $names.ContainsKey($n)) { $names[$n] = $at }
        elseif ($null -ne $at -and ($null -eq $names[$n] -or $at -gt $names[$n])) { $names[$n] = $at }
    }
    $Into['_count'] = [Math]::Max([Math]::Max([int64]$Into['_count'], [int64]$From['_count']), [int64]$names.Count)
    Limit-NamesSeen $Into
}

# names_seen and names_seen_count of a previous record: its list when it
# has one (exporter 1.2), else its own name at its last request (the name
# that sent it, in a document of exporter 1.1 or older).
function Import-NamesSeen($Client, $Previous) {
    $names = @{}
    $count = [int64]0
    $listed = Get-Field $Previous 'names_seen'
    if ($null -ne $listed) {
        foreach ($n in @($listed)) {
            $name = [string](Get-Field $n 'name')
            if (-not $name) { continue }
            $name = $name.ToLowerInvariant()
            $at = ConvertTo-Utc (Get-Field $n 'last_request_at')
            if (-not $names.ContainsKey($name)) { $names[$name] = $at }
            elseif ($null -ne $at -and ($null -eq $names[$name] -or $at -gt $names[$name])) { $names[$name] = $at }
        }
        $prev = ConvertFrom-WmiUInt32 (Get-Field $Previous 'names_seen_count') 0 2147483647
        if ($null -ne $prev) { $count = $prev }
    } elseif ($Client.name) {
        $names[([string]$Client.name).ToLowerInvariant()] = $Client.last_request_at
    }
    $Client['_names'] = $names
    $Client['_count'] = [Math]::Max($count, [int64]$names.Count)
    Limit-NamesSeen $Client
}

# The inventory key: one record per machine and product. The product is
# the SKU the event names; the event does not name the application.
function Get-ClientKey([string]$Cmid, [string]$Sku) { return "$Cmid|$Sku" }

# Applies one valid 12290 request to the inventory. Requests not newer than
# what the record holds are ignored, so re-reading an overlapping window
# changes nothing.
function Update-Client($Inventory, $Fields, [datetime]$At) {
    $key = Get-ClientKey $Fields.cmid $Fields.sku
    $c = $Inventory[$key]
    if ($null -ne $c -and $c.last_request_at -and $c.last_request_at -ge $At) {
        if ($null -eq $c.first_seen_at -or $At -lt $c.first_seen_at) { $c.first_seen_at = $At }
        Add-NameSeen $c $Fields.name $At
        return
    }
    if ($null -eq $c) {
        $c = [ordered]@{}
        foreach ($k in $ClientKeys) { $c[$k] = $null }
        $c.cmid = $Fields.cmid
        $c.sku_id = $Fields.sku
        $c.first_seen_at = $At
        $c['_names'] = @{}
        $c['_count'] = [int64]0
        $Inventory[$key] = $c
    }
    Add-NameSeen $c $Fields.name $At
    $c.name = $Fields.name
    $c.application_id = $null     # not in the event: never guessed
    $c.virtual = $Fields.virtual
    $c.required_count = if ($Fields.need -ge 1) { $Fields.need } else { $null }
    $c.last_request_at = $At
    $c.last_result = $Fields.hresult
    if ($null -eq $c.first_seen_at -or $At -lt $c.first_seen_at) { $c.first_seen_at = $At }
    if ($Fields.hresult -eq '0x0') {
        # The host activated or renewed the client: licensed for the next
        # 180 days, whatever state the client reported before the request.
        $c.last_success_at = $At
        $c.license_state = 1
        $c.state_expires_in_minutes = 180 * 1440
    } else {
        $c.license_state = $Fields.license_state
        $c.state_expires_in_minutes = $Fields.expires
    }
}

# Inventory from the previous document: (CMID, SKU) -> client with
# [datetime]s. Records without a GUID CMID are dropped; of two records with
# the same pair (a document by exporter 1.0, or edited by hand) the newer
# request wins, and the names of both are kept (Merge-NamesSeen).
# application_id values of exporter 1.0 were guessed from this host's
# licences: they are dropped.
function Import-Inventory($Previous) {
    $inv = @{}
    foreach ($p in @(Get-Field $Previous 'clients')) {
        if ($null -eq $p) { continue }
        $cmid = ConvertTo-GuidText (Get-Field $p 'cmid')
        if ($null -eq $cmid) { continue }
        $c = [ordered]@{}
        foreach ($k in $ClientKeys) {
            $value = Get-Field $p $k
            if ($k -like '*_at') { $value = ConvertTo-Utc $value }
            $c[$k] = $value
        }
        $c.cmid = $cmid
        $c.sku_id = ConvertTo-GuidText $c.sku_id
        $c.application_id = $null
        Import-NamesSeen $c $p
        $key = Get-ClientKey $cmid $c.sku_id
        $old = $inv[$key]
        if ($null -ne $old) {
            if ($old.last_request_at -and (-not $c.last_request_at -or $c.last_request_at -le $old.last_request_at)) {
                Merge-NamesSeen $old $c
                continue
            }
            Merge-NamesSeen $c $old
        }
        $inv[$key] = $c
    }
    return $inv
}

# --- host and products (WMI, read only) -------------------------------------

# A DNS name as the document holds one (docs/DESIGN.md, "The status
# document"): trimmed, the trailing dot dropped, lower case; labels of 1-63
# letters, digits and hyphens, no label starting or ending with a hyphen,
# at most 253 characters. Anything else is $null: the readers refuse a
# document with a bad name, so the exporter never writes one.
function ConvertTo-DnsName($Text) {
    if ($null -eq $Text) { return $null }
    $t = ([string]$Text).Trim()
    if ($t.EndsWith('.')) { $t = $t.Substring(0, $t.Length - 1) }
    $t = $t.ToLowerInvariant()
    if ($t.Length -lt 1 -or $t.Length -gt 253) { return $null }
    if ($t -cnotmatch '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$') { return $null }
    return $t
}

# host.dns_publish_domains from the registry value DnsDomainPublishList
# (REG_MULTI_SZ; Microsoft documents each entry as "domain_name,
# <priority>, <weight>", priority and weight optional): the name part of
# each entry, as ConvertTo-DnsName holds it, each once, at most 64. $null
# when the value is absent (the readers then judge the host's own domain);
# an entry that is no DNS name is left out with a warning.
function ConvertTo-PublishDomains($List) {
    if ($null -eq $List) { return $null }
    $out = New-Object System.Collections.Generic.List[string]
    foreach ($entry in @($List)) {
        if ($null -eq $entry -or -not ([string]$entry).Trim()) { continue }
        $name = ConvertTo-DnsName (([string]$entry -split ',', 2)[0])
        if ($null -eq $name) { Write-Warning "DnsDomainPublishList entry '$entry' is no DNS name: left out"; continue }
        if ($out.Contains($name)) { continue }
        if ($out.Count -ge $MaxPublishDomains) { Write-Warning "DnsDomainPublishList: more than $MaxPublishDomains domains, '$entry' left out"; continue }
        $out.Add($name)
    }
    return ,$out.ToArray()
}

# host object from SoftwareLicensingService (documented members
# IsKeyManagementServiceMachine, KeyManagementServiceListeningPort,
# KeyManagementServiceDnsPublishing, VLActivationInterval,
# VLRenewalInterval), Win32_ComputerSystem, the sppsvc service status and
# the DnsDomainPublishList registry value ($null when absent).
function ConvertTo-HostState($Svc, $Cs, $SppStatus, $PublishList) {
    $dns = [string](Get-Field $Cs 'DNSHostName')
    $name = if ([bool](Get-Field $Cs 'PartOfDomain')) { "$dns.$(Get-Field $Cs 'Domain')" } else { $dns }
    $port = ConvertFrom-WmiUInt32 (Get-Field $Svc 'KeyManagementServiceListeningPort') 0 65535
    if ($port -eq 0) { $port = 1688 }       # 0 = never set = the default port
    $h = [ordered]@{
        name                        = $name.ToLowerInvariant()
        kms_enabled                 = ((ConvertFrom-WmiUInt32 (Get-Field $Svc 'IsKeyManagementServiceMachine')) -eq 1)
        port                        = $port
        service_state               = if ($SppStatus) { "$SppStatus".ToLowerInvariant() } else { $null }
        dns_publishing              = [bool](Get-Field $Svc 'KeyManagementServiceDnsPublishing')
        activation_interval_minutes = ConvertFrom-WmiUInt32 (Get-Field $Svc 'VLActivationInterval')
        renewal_interval_minutes    = ConvertFrom-WmiUInt32 (Get-Field $Svc 'VLRenewalInterval')
    }
    # written only when the registry value exists: absent means the host's own domain
    $domains = ConvertTo-PublishDomains $PublishList
    if ($null -ne $domains) { $h['dns_publish_domains'] = $domains }
    return $h
}

# products from SoftwareLicensingProduct instances with a key: those with
# IsKeyManagementServiceMachine = 1 (documented members Name,
# ApplicationID, LicenseStatus, GracePeriodRemaining,
# KeyManagementServiceCurrentCount, the eight KeyManagementService*Requests
# counters). On a machine that is no KMS host: its licensed Windows product
# with current_count -1. Every number goes through ConvertFrom-WmiUInt32:
# a fresh host reports 4294967295 for the count and the counters.
function ConvertTo-Products($All) {
    $out = @()
    foreach ($p in @($All | Where-Object { (ConvertFrom-WmiUInt32 (Get-Field $_ 'IsKeyManagementServiceMachine')) -eq 1 })) {
        # WMI documents -1 (arriving as 4294967295) for "not enabled / no
        # request yet": written as null, the schema's "absent"
        $count = ConvertFrom-WmiUInt32 (Get-Field $p 'KeyManagementServiceCurrentCount')
        $out += [ordered]@{
            name                    = Get-Field $p 'Name'
            application_id          = ConvertTo-GuidText (Get-Field $p 'ApplicationID')
            license_status          = ConvertFrom-WmiUInt32 (Get-Field $p 'LicenseStatus') 0 6
            grace_remaining_minutes = ConvertFrom-WmiUInt32 (Get-Field $p 'GracePeriodRemaining')
            current_count           = $count
            requests                = [ordered]@{
                total             = ConvertFrom-WmiUInt32 (Get-Field $p 'KeyManagementServiceTotalRequests')
                failed            = ConvertFrom-WmiUInt32 (Get-Field $p 'KeyManagementServiceFailedRequests')
                unlicensed        = ConvertFrom-WmiUInt32 (Get-Field $p 'KeyManagementServiceUnlicensedRequests')
                licensed          = ConvertFrom-WmiUInt32 (Get-Field $p 'KeyManagementServiceLicensedRequests')
                oob_grace         = ConvertFrom-WmiUInt32 (Get-Field $p 'KeyManagementServiceOOBGraceRequests')
                oot_grace         = ConvertFrom-WmiUInt32 (Get-Field $p 'KeyManagementServiceOOTGraceRequests')
                non_genuine_grace = ConvertFrom-WmiUInt32 (Get-Field $p 'KeyManagementServiceNonGenuineGraceRequests')
                notification      = ConvertFrom-WmiUInt32 (Get-Field $p 'KeyManagementServiceNotificationRequests')
            }
        }
    }
    if ($out.Count -eq 0) {
        $os = @($All | Where-Object { (ConvertTo-GuidText (Get-Field $_ 'ApplicationID')) -eq $WindowsAppId }) | Select-Object -First 1
        if ($os) {
            $out += [ordered]@{
                name = Get-Field $os 'Name'; application_id = $WindowsAppId
                license_status = ConvertFrom-WmiUInt32 (Get-Field $os 'LicenseStatus') 0 6
                grace_remaining_minutes = ConvertFrom-WmiUInt32 (Get-Field $os 'GracePeriodRemaining')
                current_count = -1; requests = $null
            }
        }
    }
    return ,$out
}

# --- events 12291-12294 (Application log) ------------------------------------

# Only the Software Protection service's records count (see $SppProviders).
function Select-ServiceRecords($Records) {
    return ,@($Records | Where-Object { $null -ne $_ -and $_.Id -ge 12291 -and $_.Id -le 12294 -and $SppProviders -contains $_.ProviderName })
}

# events[] entries: 12291 KMS failed to start, 12292 renewal timer failed
# (P1 HRESULT), 12293 DNS publishing failed (P1 HRESULT, P2 domain), 12294
# DNS publishing succeeded (P1 domain). message is the rendered text for a
# human (any language, may be absent); no value is read from it.
function ConvertTo-ServiceEvent($Record) {
    $v = @($Record.Values)
    $hr = $null; $domain = $null
    if ($Record.Id -eq 12294) {
        $hr = '0x0'
        if ($v.Count -ge 1) { $domain = ConvertTo-DnsName $v[0] }
    } elseif ($v.Count -ge 1) {
        $hr = ConvertTo-HResult (($v[0] -split ',', 2)[0])
        if ($Record.Id -eq 12293 -and $v.Count -ge 2) { $domain = ConvertTo-DnsName $v[1] }
    }
    $msg = if ($Record.Message) { ([string]$Record.Message -replace '\s+', ' ').Trim() } else { $null }
    return [ordered]@{ id = $Record.Id; at = Format-Utc $Record.TimeCreated; hresult = $hr; domain = $domain; message = $msg }
}

# --- the document --------------------------------------------------------------

# Everything between reading and writing, with no access to the host: the
# live run and -SelfTest both call it. $Requests: 12290 records read since
# the bookmark (any order); $ServiceRecords: Application log 12291-12294 of
# the last -EventDays; $Last12294: newest 12294 of any age (or $null).
# Returns @{ Document; Read; Skipped (list of @{record_id; at; reason}) }.
function New-StatusDocument([datetime]$Now, $HostState, $Products, $Previous, $Requests,
                            $ServiceRecords, $Last12294, [int]$EventDays, [int]$ForgetAfterDays) {
    $inventory = Import-Inventory $Previous
    $bookmark = ConvertTo-Utc (Get-Field (Get-Field $Previous 'exporter') 'last_request_event_at')
    $lastEventAt = $bookmark
    $oldestEventAt = $null
    $skipped = New-Object System.Collections.Generic.List[object]
    $read = 0
    foreach ($r in @($Requests | Where-Object { $null -ne $_ -and $_.Id -eq 12290 } | Sort-Object -Property @('TimeCreated', 'RecordId'))) {
        $read++
        # the bookmark moves past bad records too: one bad record must not
        # stop every later run
        if ($null -eq $oldestEventAt) { $oldestEventAt = $r.TimeCreated }
        if ($null -eq $lastEventAt -or $r.TimeCreated -gt $lastEventAt) { $lastEventAt = $r.TimeCreated }
        $parsed = Get-RequestFields $r
        if ($parsed.ContainsKey('Reason')) {
            Write-Warning "12290 record $($r.RecordId) at $(Format-Utc $r.TimeCreated) skipped: $($parsed.Reason)"
            $skipped.Add([ordered]@{ record_id = $r.RecordId; at = Format-Utc $r.TimeCreated; reason = $parsed.Reason })
            continue
        }
        Update-Client $inventory $parsed.Fields $r.TimeCreated
    }

    # How far back the inventory is complete: kept from the previous
    # document; on a first run, the oldest request still in the log (or now).
    $completeSince = ConvertTo-Utc (Get-Field $Previous 'clients_complete_since')
    if ($null -eq $completeSince) { $completeSince = if ($oldestEventAt) { $oldestEventAt } else { $Now } }

    # Forget clients silent for longer than -ForgetAfterDays; sort by name,
    # CMID, SKU (ordinal, so every culture writes the same order).
    $forget = $Now.AddDays(-$ForgetAfterDays)
    $keep = @($inventory.Values | Where-Object { -not ($_.last_request_at -and $_.last_request_at -lt $forget) })
    $sortKeys = [string[]]@($keep | ForEach-Object { "$($_.name)`t$($_.cmid)`t$($_.sku_id)" })
    $sorted = [object[]]$keep
    [Array]::Sort($sortKeys, $sorted, [System.StringComparer]::Ordinal)
    $clients = New-Object System.Collections.Generic.List[object]
    foreach ($c in $sorted) {
        $o = [ordered]@{}
        foreach ($k in $ClientKeys) { $o[$k] = if ($k -like '*_at') { Format-Utc $c[$k] } else { $c[$k] } }
        $names = $c['_names']
        $order = Get-NamesSeenOrder $names   # one array (not piped: the function returns it whole)
        $o['names_seen'] = @($order | ForEach-Object { [ordered]@{ name = $_; last_request_at = Format-Utc $names[$_] } })
        $o['names_seen_count'] = [int64]$c['_count']
        $clients.Add($o)
    }

    # Service events of the last -EventDays days, plus the newest 12294 of
    # any age, so "12293 after the last 12294" can be judged.
    $since = $Now.AddDays(-$EventDays)
    $svcRecords = @(Select-ServiceRecords $ServiceRecords | Where-Object { $_.TimeCreated -ge $since } | Sort-Object TimeCreated)
    if (-not @($svcRecords | Where-Object { $_.Id -eq 12294 })) {
        $older = @(Select-ServiceRecords @($Last12294) | Where-Object { $_.Id -eq 12294 })
        if ($older.Count -gt 0) { $svcRecords = @($older[0]) + $svcRecords }
    }
    $events = @($svcRecords | ForEach-Object { ConvertTo-ServiceEvent $_ })

    $listed = @($skipped | Select-Object -First $MaxSkippedListed)
    $doc = [ordered]@{
        format                 = 'kms-status'
        version                = 1
        generated_at           = Format-Utc $Now
        host                   = $HostState
        products               = @($Products)
        clients_complete_since = Format-Utc $completeSince
        clients                = $clients.ToArray()
        events                 = $events
        exporter               = [ordered]@{
            version               = $ExporterVersion
            last_request_event_at = Format-Utc $lastEventAt
            requests_read         = $read
            requests_skipped      = $skipped.Count
            skipped               = $listed
        }
    }
    return @{ Document = $doc; Read = $read; Skipped = $skipped; Clients = $clients.Count; Events = $events.Count }
}

function ConvertTo-DocumentJson($Doc) {
    return ConvertTo-Json -InputObject $Doc -Depth 8 -Compress
}

# --- -SelfTest -------------------------------------------------------------------

# Differences between two parsed JSON values, as "path: expected X, got Y".
# Numbers compare by value; objects by key set and values; arrays in order.
function Compare-JsonValue($Expected, $Actual, [string]$Path, $Out) {
    if ($null -eq $Expected -or $null -eq $Actual) {
        if (-not ($null -eq $Expected -and $null -eq $Actual)) { $Out.Add("${Path}: expected $(ConvertTo-Json -InputObject $Expected -Compress -Depth 8), got $(ConvertTo-Json -InputObject $Actual -Compress -Depth 8)") }
        return
    }
    if ($Expected -is [System.Collections.IDictionary]) {
        if (-not ($Actual -is [System.Collections.IDictionary])) { $Out.Add("${Path}: expected an object"); return }
        $keys = @(@($Expected.Keys) + @($Actual.Keys) | Sort-Object -Unique)
        foreach ($k in $keys) {
            if (-not (Test-Key $Expected $k)) { $Out.Add("$Path.${k}: not expected"); continue }
            if (-not (Test-Key $Actual $k)) { $Out.Add("$Path.${k}: missing"); continue }
            Compare-JsonValue $Expected[$k] $Actual[$k] "$Path.$k" $Out
        }
        return
    }
    if ($Expected -is [System.Collections.IList]) {
        if (-not ($Actual -is [System.Collections.IList])) { $Out.Add("${Path}: expected an array"); return }
        if ($Expected.Count -ne $Actual.Count) { $Out.Add("${Path}: expected $($Expected.Count) items, got $($Actual.Count)") }
        for ($i = 0; $i -lt [Math]::Min($Expected.Count, $Actual.Count); $i++) { Compare-JsonValue $Expected[$i] $Actual[$i] "$Path[$i]" $Out }
        return
    }
    $numeric = { param($v) $v -is [int] -or $v -is [long] -or $v -is [decimal] -or $v -is [double] -or $v -is [System.Numerics.BigInteger] }
    if ((& $numeric $Expected) -and (& $numeric $Actual)) {
        if ([decimal]$Expected -ne [decimal]$Actual) { $Out.Add("${Path}: expected $Expected, got $Actual") }
        return
    }
    if ($Expected.GetType() -ne $Actual.GetType() -or -not $Expected.Equals($Actual)) {
        $Out.Add("${Path}: expected $(ConvertTo-Json -InputObject $Expected -Compress), got $(ConvertTo-Json -InputObject $Actual -Compress)")
    }
}

# One fixture case (fixtures\<name>.json): the WMI objects, the sppsvc
# status, the previous document, the records each log query returns, or
# the error a query raises ({FullyQualifiedErrorId, Message}).
function Invoke-FixtureCase($Case) {
    foreach ($q in 'requests_error', 'application_error') {
        $err = Get-Field $Case $q
        if ($null -ne $err) {
            if (-not (Test-NoEventsError ([string](Get-Field $err 'FullyQualifiedErrorId')))) {
                throw "cannot read the log ($(Get-Field $err 'FullyQualifiedErrorId')): $(Get-Field $err 'Message')"
            }
        }
    }
    $now = ConvertTo-Utc (Get-Field $Case 'now')
    $hostState = ConvertTo-HostState (Get-Field $Case 'service') (Get-Field $Case 'computer') (Get-Field $Case 'sppsvc') (Get-Field $Case 'dns_domain_publish_list')
    $products = ConvertTo-Products @(Get-Field $Case 'products')
    $requests = @(@(Get-Field $Case 'requests') | Where-Object { $null -ne $_ } | ForEach-Object { ConvertTo-EventRecord $_ -FromFixture })
    $app = @(@(Get-Field $Case 'application') | Where-Object { $null -ne $_ } | ForEach-Object { ConvertTo-EventRecord $_ -FromFixture })
    # the live run asks the log for the newest SPP 12294 of any age; here it
    # is the newest SPP 12294 among the fixture's records
    $last = @(Select-ServiceRecords $app | Where-Object { $_.Id -eq 12294 } | Sort-Object TimeCreated -Descending) | Select-Object -First 1
    $days = if ($null -ne (Get-Field $Case 'event_days')) { [int](Get-Field $Case 'event_days') } else { 7 }
    return New-StatusDocument $now $hostState $products (Get-Field $Case 'previous') $requests $app $last $days 400
}

function Invoke-SelfTest([string]$Dir) {
    $failed = 0; $ran = 0
    foreach ($f in @(Get-ChildItem -LiteralPath $Dir -Filter '*.json' | Sort-Object Name)) {
        $ran++
        $name = $f.BaseName
        $case = Read-JsonFile $f.FullName
        $expectError = Get-Field $case 'expect_error'
        $diffs = New-Object System.Collections.Generic.List[string]
        try {
            $result = Invoke-FixtureCase $case
            if ($expectError) {
                $diffs.Add("expected the run to fail with '$expectError', it wrote a document")
            } else {
                $actual = Read-Json (ConvertTo-DocumentJson $result.Document)
                $expected = Read-JsonFile (Join-Path (Join-Path $Dir 'expected') "$name.json")
                Compare-JsonValue $expected $actual '$' $diffs
            }
        } catch {
            if (-not $expectError) { $diffs.Add("failed: $($_.Exception.Message)") }
            elseif ($_.Exception.Message -notlike "*$expectError*") { $diffs.Add("failed with '$($_.Exception.Message)', expected '$expectError'") }
        }
        if ($diffs.Count -eq 0) { Write-Output "PASS $name" }
        else { $failed++; Write-Output "FAIL $name"; $diffs | ForEach-Object { Write-Output "    $_" } }
    }
    Write-Output "$($ran - $failed) passed, $failed failed"
    $script:SelfTestExit = if ($ran -eq 0 -or $failed -gt 0) { 1 } else { 0 }
}

# --- the run log (Application log, own source) ------------------------------------

# One line per run. The source is created once when absent (that needs an
# administrator: the README says how to create it for a gMSA); failing to
# log never fails the run.
function Write-RunLog([string]$Text, [int]$EventId, [string]$Type) {
    $entry = @{ LogName = 'Application'; Source = $LogSource; EventId = $EventId; EntryType = $Type; Message = $Text }
    try {
        Write-EventLog @entry
    } catch {
        # most likely the source is not registered yet. (SourceExists is no
        # test: it searches every log, the Security log too, and throws for
        # an account that may not read it.)
        try {
            New-EventLog -LogName Application -Source $LogSource
            Write-EventLog @entry
        } catch {
            Write-Warning "could not write to the Application log (source ${LogSource}): $($_.Exception.Message)"
        }
    }
}

# --- main ---------------------------------------------------------------------

if ($SelfTest) {
    if (-not $FixtureDir) { $FixtureDir = Join-Path $PSScriptRoot 'fixtures' }
    $script:SelfTestExit = 1
    Invoke-SelfTest $FixtureDir
    exit $script:SelfTestExit
}

$tmp = $null
try {
    $now = [datetime]::UtcNow
    # .NET file calls need a full path (they do not follow Set-Location).
    $OutFile = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutFile)
    $previous = Read-PreviousDocument $OutFile

    $svc = Get-CimInstance -ClassName SoftwareLicensingService
    $cs = Get-CimInstance -ClassName Win32_ComputerSystem
    $spp = Get-Service -Name sppsvc -ErrorAction SilentlyContinue   # absent service: service_state null
    # DnsDomainPublishList (REG_MULTI_SZ): the extra domains the host
    # publishes its SRV record in; absent on most hosts
    $sppKey = Get-ItemProperty -LiteralPath $SppRegistryKey -Name DnsDomainPublishList -ErrorAction SilentlyContinue
    $publishList = if ($sppKey) { @($sppKey.DnsDomainPublishList) } else { $null }
    $hostState = ConvertTo-HostState $svc $cs $(if ($spp) { $spp.Status } else { $null }) $publishList
    $props = 'ID', 'Name', 'ApplicationID', 'LicenseStatus', 'GracePeriodRemaining',
        'PartialProductKey', 'IsKeyManagementServiceMachine', 'KeyManagementServiceCurrentCount',
        'KeyManagementServiceTotalRequests', 'KeyManagementServiceFailedRequests',
        'KeyManagementServiceUnlicensedRequests', 'KeyManagementServiceLicensedRequests',
        'KeyManagementServiceOOBGraceRequests', 'KeyManagementServiceOOTGraceRequests',
        'KeyManagementServiceNonGenuineGraceRequests', 'KeyManagementServiceNotificationRequests'
    $products = ConvertTo-Products @(Get-CimInstance -ClassName SoftwareLicensingProduct -Filter 'PartialProductKey IS NOT NULL' -Property $props)

    # 12290 from where the previous run stopped (10 min overlap: harmless,
    # see Update-Client), or the whole log on the first run.
    $query = @{ FilterHashtable = @{ LogName = 'Key Management Service'; Id = 12290 } }
    $bookmark = ConvertTo-Utc (Get-Field (Get-Field $previous 'exporter') 'last_request_event_at')
    if ($bookmark) { $query.FilterHashtable.StartTime = $bookmark.AddMinutes(-10).ToLocalTime() }
    $requests = Read-EventLog $query 'the "Key Management Service" log'

    # The provider filter is in the XPath query (server side) and again in
    # Select-ServiceRecords; a FilterHashtable with ProviderName errors out
    # when a provider is not registered for the log.
    $providers = ($SppProviders | ForEach-Object { "@Name='$_'" }) -join ' or '
    $sinceMs = [int64]($now - $now.AddDays(-$EventDays)).TotalMilliseconds
    $xpath = "*[System[Provider[$providers] and (EventID>=12291 and EventID<=12294) and TimeCreated[timediff(@SystemTime) <= $sinceMs]]]"
    $app = Read-EventLog @{ LogName = 'Application'; FilterXPath = $xpath } 'the Application log'
    $last = $null
    if (-not @($app | Where-Object { $_.Id -eq 12294 })) {
        $x = "*[System[Provider[$providers] and EventID=12294]]"
        $last = @(Read-EventLog @{ LogName = 'Application'; FilterXPath = $x; MaxEvents = 1 } 'the Application log') | Select-Object -First 1
    }

    $result = New-StatusDocument $now $hostState $products $previous $requests $app $last $EventDays $ForgetAfterDays
    $json = ConvertTo-DocumentJson $result.Document
    $summary = "kms-status exporter ${ExporterVersion}: $($result.Clients) client records, $($result.Read) requests read, $($result.Skipped.Count) skipped, $($result.Events) service events"
    if ($DryRun) {
        Write-Output $json
        Write-Verbose $summary
        exit 0
    }

    # Write beside the target, then swap it in: File.Replace (ReplaceFile)
    # keeps the target's ACL and never leaves a moment without a file. No
    # backup: PowerShell passes $null to a string parameter as '', which
    # Replace refuses ("path is not of a legal form"); NullString is null.
    $dir = Split-Path -Parent $OutFile
    if (-not (Test-Path -LiteralPath $dir)) { New-Item -ItemType Directory -Path $dir | Out-Null }
    $tmp = Join-Path $dir (".kms-status.{0}.tmp" -f $PID)
    [System.IO.File]::WriteAllText($tmp, $json, (New-Object System.Text.UTF8Encoding($false)))
    if (Test-Path -LiteralPath $OutFile) {
        [System.IO.File]::Replace($tmp, $OutFile, [System.Management.Automation.Language.NullString]::Value)
    } else {
        [System.IO.File]::Move($tmp, $OutFile)
    }
    $tmp = $null
    if ($result.Skipped.Count -gt 0) {
        $first = $result.Skipped[0]
        Write-RunLog "$summary; first skipped: record $($first.record_id) at $($first.at): $($first.reason)" 2 'Warning'
    } else {
        Write-RunLog $summary 1 'Information'
    }
    exit 0
} catch {
    $msg = "kms-status exporter ${ExporterVersion}: run failed, document not written: $($_.Exception.Message)"
    Write-Error $msg -ErrorAction Continue
    if (-not $DryRun) { Write-RunLog $msg 3 'Error' }
    exit 1
} finally {
    # a failed write must not leave its temporary file beside the document
    if ($tmp -and (Test-Path -LiteralPath $tmp)) { Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue }
}
