using System.Globalization;
using System.Net;

namespace Custos.Core.Policy;

/// <summary>
/// Reads a role document (YAML) into a <see cref="RoleDocument"/>, refusing anything invalid with the path and line of
/// every problem: unknown keys, wrong types, unknown actions, bad patterns, durations, networks and time windows, and
/// the limits of <see cref="YamlTree"/>. The only exception it throws is <see cref="RoleValidationException"/>.
/// docs/role.schema.json describes the same shape.
/// </summary>
public static class RoleParser
{
    public const int MaxNameLength = 64;
    public const int MaxLabelKeyLength = 63;
    public const int MaxApprovals = 16;

    internal static readonly string[] TopKeys = ["kind", "name", "description", "revision", "allow", "deny", "requires_request", "request"];
    internal static readonly string[] AllowKeys = ["resources", "actions", "logins", "db_users", "db_names", "conditions", "session"];
    internal static readonly string[] DenyKeys = ["resources", "actions", "logins", "db_users", "db_names"];
    internal static readonly string[] SelectorKeys = ["kind", "labels"];
    internal static readonly string[] ConditionKeys = ["mfa", "source_networks", "time_windows"];
    internal static readonly string[] WindowKeys = ["days", "hours", "tz"];
    internal static readonly string[] SessionKeys = ["max_ttl", "recording", "moderated", "idle_timeout"];
    internal static readonly string[] RequestKeys = ["requestable_by", "reviewers"];
    internal static readonly string[] ReviewerKeys = ["roles", "approvals"];

    public static RoleDocument Parse(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var root = YamlTree.Read(yaml);
        var errors = new List<RoleValidationError>();
        var document = ReadDocument(root, errors);
        if (errors.Count > 0 || document is null)
            throw new RoleValidationException(errors);
        return document;
    }

    public static bool TryParse(string yaml, out RoleDocument? document, out IReadOnlyList<RoleValidationError> errors)
    {
        try
        {
            document = Parse(yaml);
            errors = [];
            return true;
        }
        catch (RoleValidationException e)
        {
            document = null;
            errors = e.Errors;
            return false;
        }
    }

    /// <summary>Whether a role name is well formed: lowercase letters, digits, <c>.</c>, <c>_</c>, <c>-</c>, starting with a letter or digit.</summary>
    public static bool IsValidRoleName(string name) =>
        name.Length is > 0 and <= MaxNameLength
        && char.IsAsciiLetterLower(name[0]) | char.IsAsciiDigit(name[0])
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-');

    public static bool IsValidLabelKey(string key) =>
        key.Length is > 0 and <= MaxLabelKeyLength
        && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/');

    private static RoleDocument? ReadDocument(YamlNode root, List<RoleValidationError> errors)
    {
        if (root is not YamlMapping map)
        {
            errors.Add(new("", root.Line, "expected a mapping (a role document)"));
            return null;
        }
        var r = new Reader(errors);
        r.CheckKeys(map, "", TopKeys);
        var kind = r.RequiredString(map, "", "kind");
        if (kind is not null && kind != "role")
            r.Error(Path("", "kind"), Find(map, "kind")!.Line, $"expected 'role', got '{kind}'");
        var name = r.RequiredString(map, "", "name");
        if (name is not null && !IsValidRoleName(name))
            r.Error("name", Find(map, "name")!.Line, "expected a role name: lowercase letters, digits, '.', '_' or '-', at most 64 characters");
        var description = r.OptionalString(map, "", "description");
        var revision = r.OptionalRevision(map);
        var allowNode = Find(map, "allow");
        var denyNode = Find(map, "deny");
        var allow = r.Rules(allowNode, "allow", isAllow: true);
        var deny = r.Rules(denyNode, "deny", isAllow: false);
        var requiresRequest = r.OptionalBool(map, "", "requires_request") ?? false;
        var request = r.Request(Find(map, "request"), "request");
        // An explicit empty list ("allow: []") is a role that grants nothing on purpose; no block at all is a mistake.
        if (allowNode is null && denyNode is null && errors.Count == 0)
            r.Error("", map.Line, "a role needs an 'allow' or a 'deny' block (write 'allow: []' for a role that grants nothing)");
        return name is null ? null : new RoleDocument(name, description, allow, deny, requiresRequest, request) { Revision = revision };
    }

    internal static YamlNode? Find(YamlMapping map, string key) =>
        map.Entries.FirstOrDefault(e => e.Key.Value == key).Value;

    internal static string Path(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

    /// <summary>Reads typed values out of the YAML tree, recording errors instead of stopping at the first.</summary>
    private sealed class Reader(List<RoleValidationError> errors)
    {
        public void Error(string path, int line, string message) => errors.Add(new RoleValidationError(path, line, message));

        public void CheckKeys(YamlMapping map, string path, string[] allowed)
        {
            foreach (var (key, _) in map.Entries)
            {
                if (!allowed.Contains(key.Value, StringComparer.Ordinal))
                    Error(Path(path, key.Value), key.Line, $"unknown key (expected one of: {string.Join(", ", allowed)})");
            }
        }

        public string? RequiredString(YamlMapping map, string path, string key)
        {
            var node = Find(map, key);
            if (node is null)
            {
                Error(Path(path, key), map.Line, "required");
                return null;
            }
            return String(node, Path(path, key));
        }

        public string? OptionalString(YamlMapping map, string path, string key) =>
            Find(map, key) is { } node ? String(node, Path(path, key)) : null;

        public string? String(YamlNode node, string path)
        {
            if (node is YamlScalar { IsNull: false } s)
                return s.Value;
            Error(path, node.Line, "expected string");
            return null;
        }

        /// <summary>The optional top-level <c>revision</c> (what <c>roles get</c> printed), for optimistic concurrency on update.</summary>
        public long? OptionalRevision(YamlMapping map)
        {
            if (Find(map, "revision") is not { } node)
                return null;
            if (node is YamlScalar { IsPlain: true } s && long.TryParse(s.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= 1)
                return value;
            Error("revision", node.Line, "expected a positive whole number (the revision printed by 'custos admin roles get')");
            return null;
        }

        public bool? OptionalBool(YamlMapping map, string path, string key)
        {
            var node = Find(map, key);
            if (node is null)
                return null;
            if (node is YamlScalar { IsPlain: true, Value: "true" or "false" } s)
                return s.Value == "true";
            Error(Path(path, key), node.Line, "expected true or false");
            return null;
        }

        /// <summary>A list of strings; a single string is accepted as a list of one.</summary>
        public List<(string Value, int Line)> Strings(YamlNode? node, string path)
        {
            var values = new List<(string, int)>();
            switch (node)
            {
                case null:
                    break;
                case YamlScalar { IsNull: false } s:
                    values.Add((s.Value, s.Line));
                    break;
                case YamlSequence seq:
                    for (var i = 0; i < seq.Items.Count; i++)
                    {
                        if (String(seq.Items[i], $"{path}[{i}]") is { } v)
                            values.Add((v, seq.Items[i].Line));
                    }
                    break;
                default:
                    Error(path, node.Line, "expected string or list");
                    break;
            }
            return values;
        }

        public List<RoleRule> Rules(YamlNode? node, string path, bool isAllow)
        {
            var rules = new List<RoleRule>();
            switch (node)
            {
                case null:
                    break;
                case YamlMapping map:
                    if (Rule(map, path, isAllow) is { } single)
                        rules.Add(single);
                    break;
                case YamlSequence seq:
                    for (var i = 0; i < seq.Items.Count; i++)
                    {
                        if (seq.Items[i] is YamlMapping m)
                        {
                            if (Rule(m, $"{path}[{i}]", isAllow) is { } rule)
                                rules.Add(rule);
                        }
                        else
                        {
                            Error($"{path}[{i}]", seq.Items[i].Line, "expected a rule (mapping)");
                        }
                    }
                    break;
                default:
                    Error(path, node.Line, "expected a rule (mapping) or a list of rules");
                    break;
            }
            return rules;
        }

        private RoleRule? Rule(YamlMapping map, string path, bool isAllow)
        {
            var before = errors.Count;
            CheckKeys(map, path, isAllow ? AllowKeys : DenyKeys);
            var resources = Selectors(Find(map, "resources"), Path(path, "resources"));
            var actions = Actions(map, path);
            var logins = Templates(Find(map, "logins"), Path(path, "logins"));
            var dbUsers = Templates(Find(map, "db_users"), Path(path, "db_users"));
            var dbNames = Templates(Find(map, "db_names"), Path(path, "db_names"));
            var conditions = isAllow ? Conditions(Find(map, "conditions"), Path(path, "conditions")) : RuleConditions.None;
            var session = isAllow ? Session(Find(map, "session"), Path(path, "session")) : SessionSettings.None;
            if (resources.Count == 0 && actions.Any(a => PolicyActions.Expand(a).Any(x => PolicyActions.KindOf(x) is not null)))
                Error(Path(path, "resources"), map.Line, "required when the rule names ssh.*, db.* or app.* actions");
            return errors.Count > before ? null : new RoleRule(resources, actions, logins, dbUsers, dbNames, conditions, session);
        }

        private List<string> Actions(YamlMapping map, string path)
        {
            var node = Find(map, "actions");
            var actionsPath = Path(path, "actions");
            if (node is null)
            {
                Error(actionsPath, map.Line, "required");
                return [];
            }
            var values = Strings(node, actionsPath);
            if (values.Count == 0 && node is YamlSequence)
                Error(actionsPath, node.Line, "expected at least one action");
            var actions = new List<string>();
            for (var i = 0; i < values.Count; i++)
            {
                var (action, line) = values[i];
                if (PolicyActions.Expand(action).Count == 0)
                    Error(node is YamlSequence ? $"{actionsPath}[{i}]" : actionsPath, line, $"unknown action '{action}'");
                else
                    actions.Add(action);
            }
            return actions;
        }

        private List<PatternTemplate> Templates(YamlNode? node, string path)
        {
            var values = Strings(node, path);
            var result = new List<PatternTemplate>();
            for (var i = 0; i < values.Count; i++)
            {
                var (raw, line) = values[i];
                var itemPath = node is YamlSequence ? $"{path}[{i}]" : path;
                if (raw.Length == 0)
                    Error(itemPath, line, "empty value");
                else if (!PatternTemplate.TryParse(raw, out var template, out var error))
                    Error(itemPath, line, error!);
                else
                    result.Add(template);
            }
            return result;
        }

        private List<ResourceSelector> Selectors(YamlNode? node, string path)
        {
            var selectors = new List<ResourceSelector>();
            if (node is null)
                return selectors;
            if (node is not YamlSequence seq)
            {
                Error(path, node.Line, "expected a list of resource selectors");
                return selectors;
            }
            for (var i = 0; i < seq.Items.Count; i++)
            {
                var itemPath = $"{path}[{i}]";
                if (seq.Items[i] is not YamlMapping map)
                {
                    Error(itemPath, seq.Items[i].Line, "expected a resource selector (mapping with kind and labels)");
                    continue;
                }
                CheckKeys(map, itemPath, SelectorKeys);
                ResourceKind? kind = null;
                if (OptionalString(map, itemPath, "kind") is { } kindName)
                {
                    if (ResourceKindNames.TryParse(kindName, out var k))
                        kind = k;
                    else if (kindName != "*")
                        Error(Path(itemPath, "kind"), Find(map, "kind")!.Line, $"unknown resource kind '{kindName}' (expected ssh_node, database, app or *)");
                }
                selectors.Add(new ResourceSelector(kind, Labels(Find(map, "labels"), Path(itemPath, "labels"))));
            }
            return selectors;
        }

        private List<LabelConstraint> Labels(YamlNode? node, string path)
        {
            var constraints = new List<LabelConstraint>();
            if (node is null)
                return constraints;
            if (node is not YamlMapping map)
            {
                Error(path, node.Line, "expected a mapping of label keys to values");
                return constraints;
            }
            foreach (var (key, valueNode) in map.Entries)
            {
                var keyPath = Path(path, key.Value);
                if (key.Value != "*" && !IsValidLabelKey(key.Value))
                {
                    Error(keyPath, key.Line, "invalid label key (letters, digits, '.', '_', '-', '/'; at most 63)");
                    continue;
                }
                if (valueNode is not (YamlScalar { IsNull: false } or YamlSequence))
                {
                    Error(keyPath, valueNode.Line, "expected string or list");
                    continue;
                }
                var values = Strings(valueNode, keyPath);
                if (values.Count == 0)
                {
                    Error(keyPath, valueNode.Line, "expected at least one value");
                    continue;
                }
                if (key.Value == "*" && (values.Count != 1 || values[0].Value != "*"))
                {
                    Error(keyPath, valueNode.Line, "the key '*' only takes the value '*' (every resource)");
                    continue;
                }
                var patterns = new List<LabelPattern>();
                for (var i = 0; i < values.Count; i++)
                {
                    var (raw, line) = values[i];
                    if (LabelPattern.TryParse(raw, out var pattern, out var error))
                        patterns.Add(pattern);
                    else
                        Error(valueNode is YamlSequence ? $"{keyPath}[{i}]" : keyPath, line, error!);
                }
                constraints.Add(new LabelConstraint(key.Value, patterns));
            }
            return constraints;
        }

        private RuleConditions Conditions(YamlNode? node, string path)
        {
            if (node is null)
                return RuleConditions.None;
            if (node is not YamlMapping map)
            {
                Error(path, node.Line, "expected a mapping (mfa, source_networks, time_windows)");
                return RuleConditions.None;
            }
            CheckKeys(map, path, ConditionKeys);
            var mfa = MfaLevel.None;
            if (OptionalString(map, path, "mfa") is { } mfaName && !MfaLevelNames.TryParse(mfaName, out mfa))
                Error(Path(path, "mfa"), Find(map, "mfa")!.Line, $"expected none, login or per_session, got '{mfaName}'");
            var networks = new List<IPNetwork>();
            var networkNode = Find(map, "source_networks");
            var networkValues = Strings(networkNode, Path(path, "source_networks"));
            for (var i = 0; i < networkValues.Count; i++)
            {
                var (text, line) = networkValues[i];
                if (TryParseNetwork(text, out var network))
                    networks.Add(network);
                else
                    Error($"{Path(path, "source_networks")}[{i}]", line, $"expected a CIDR network such as 10.0.0.0/8, got '{text}'");
            }
            return new RuleConditions(mfa, networks, Windows(Find(map, "time_windows"), Path(path, "time_windows")));
        }

        private List<TimeWindow> Windows(YamlNode? node, string path)
        {
            var windows = new List<TimeWindow>();
            if (node is null)
                return windows;
            if (node is not YamlSequence seq)
            {
                Error(path, node.Line, "expected a list of time windows");
                return windows;
            }
            for (var i = 0; i < seq.Items.Count; i++)
            {
                var itemPath = $"{path}[{i}]";
                if (seq.Items[i] is not YamlMapping map)
                {
                    Error(itemPath, seq.Items[i].Line, "expected a time window { days, hours, tz }");
                    continue;
                }
                CheckKeys(map, itemPath, WindowKeys);
                var days = RequiredString(map, itemPath, "days");
                var hours = RequiredString(map, itemPath, "hours");
                var tz = OptionalString(map, itemPath, "tz");
                if (days is null || hours is null)
                    continue;
                if (TimeWindow.TryCreate(days, hours, tz, out var window, out var error))
                    windows.Add(window);
                else
                    Error(itemPath, map.Line, error!);
            }
            return windows;
        }

        private SessionSettings Session(YamlNode? node, string path)
        {
            if (node is null)
                return SessionSettings.None;
            if (node is not YamlMapping map)
            {
                Error(path, node.Line, "expected a mapping (max_ttl, recording, moderated, idle_timeout)");
                return SessionSettings.None;
            }
            CheckKeys(map, path, SessionKeys);
            var recording = false;
            if (OptionalString(map, path, "recording") is { } rec)
            {
                if (rec is "required" or "optional")
                    recording = rec == "required";
                else
                    Error(Path(path, "recording"), Find(map, "recording")!.Line, $"expected required or optional, got '{rec}'");
            }
            return new SessionSettings(
                Duration(map, path, "max_ttl"),
                recording,
                OptionalBool(map, path, "moderated") ?? false,
                Duration(map, path, "idle_timeout"));
        }

        private TimeSpan? Duration(YamlMapping map, string path, string key)
        {
            if (OptionalString(map, path, key) is not { } text)
                return null;
            if (Durations.TryParse(text, out var duration))
                return duration;
            Error(Path(path, key), Find(map, key)!.Line, $"expected a duration such as 2h, 15m or 1h30m (at most 366d), got '{text}'");
            return null;
        }

        public RequestSettings? Request(YamlNode? node, string path)
        {
            if (node is null)
                return null;
            if (node is not YamlMapping map)
            {
                Error(path, node.Line, "expected a mapping (requestable_by, reviewers)");
                return null;
            }
            CheckKeys(map, path, RequestKeys);
            var requestableBy = RoleNames(Find(map, "requestable_by"), Path(path, "requestable_by"));
            var reviewerRoles = new List<string>();
            var approvals = 1;
            if (Find(map, "reviewers") is { } reviewersNode)
            {
                var reviewersPath = Path(path, "reviewers");
                if (reviewersNode is YamlMapping reviewers)
                {
                    CheckKeys(reviewers, reviewersPath, ReviewerKeys);
                    reviewerRoles = RoleNames(Find(reviewers, "roles"), Path(reviewersPath, "roles"));
                    if (Find(reviewers, "approvals") is { } approvalsNode)
                    {
                        if (approvalsNode is YamlScalar { IsPlain: true } a
                            && int.TryParse(a.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxApprovals)
                            approvals = n;
                        else
                            Error(Path(reviewersPath, "approvals"), approvalsNode.Line, $"expected a whole number from 1 to {MaxApprovals}");
                    }
                }
                else
                {
                    Error(reviewersPath, reviewersNode.Line, "expected a mapping (roles, approvals)");
                }
            }
            return new RequestSettings(requestableBy, reviewerRoles, approvals);
        }

        private List<string> RoleNames(YamlNode? node, string path)
        {
            var names = new List<string>();
            var values = Strings(node, path);
            for (var i = 0; i < values.Count; i++)
            {
                var (name, line) = values[i];
                if (IsValidRoleName(name))
                    names.Add(name);
                else
                    Error(node is YamlSequence ? $"{path}[{i}]" : path, line, $"invalid role name '{name}'");
            }
            return names;
        }
    }

    internal static bool TryParseNetwork(string text, out IPNetwork network)
    {
        if (!text.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(text, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return IPNetwork.TryParse(text, out network);
    }
}
