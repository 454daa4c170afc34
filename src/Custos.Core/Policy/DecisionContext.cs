using System.Net;

namespace Custos.Core.Policy;

/// <summary>
/// Multi-factor authentication, as a rule requires it and as a session has satisfied it. Ordered: a session that
/// satisfied <see cref="PerSession"/> also satisfies <see cref="Login"/>.
/// </summary>
public enum MfaLevel
{
    None = 0,
    Login = 1,
    PerSession = 2,
}

public static class MfaLevelNames
{
    public static string ToName(this MfaLevel level) => level switch
    {
        MfaLevel.None => "none",
        MfaLevel.Login => "login",
        MfaLevel.PerSession => "per_session",
        _ => throw new ArgumentOutOfRangeException(nameof(level)),
    };

    public static bool TryParse(string? name, out MfaLevel level)
    {
        switch (name)
        {
            case "none": level = MfaLevel.None; return true;
            case "login": level = MfaLevel.Login; return true;
            case "per_session": level = MfaLevel.PerSession; return true;
            default: level = default; return false;
        }
    }
}

/// <summary>
/// The circumstances of a decision: when, from where, which MFA the session has satisfied, and the login, database
/// user and database name asked for. A null <see cref="Login"/> (or <see cref="DbUser"/>, <see cref="DbName"/>) asks
/// whether any is allowed; gateways always pass the one the user asked for.
/// </summary>
public sealed record DecisionContext(
    DateTimeOffset Time,
    IPAddress? SourceAddress = null,
    MfaLevel Mfa = MfaLevel.None,
    string? Login = null,
    string? DbUser = null,
    string? DbName = null);
