namespace Custos.Core.Identity;

/// <summary>
/// Stored (and wire) names of <see cref="InvitationPurpose"/> and <see cref="SessionKind"/>: snake_case, stable
/// across releases because they are written to the database.
/// </summary>
public static class StoredNames
{
    public static string ToName(this InvitationPurpose purpose) => purpose switch
    {
        InvitationPurpose.Invite => "invite",
        InvitationPurpose.PasswordReset => "password_reset",
        InvitationPurpose.MfaReset => "mfa_reset",
        InvitationPurpose.Recovery => "recovery",
        InvitationPurpose.BotJoin => "bot_join",
        _ => throw new ArgumentOutOfRangeException(nameof(purpose)),
    };

    public static bool TryParsePurpose(string? name, out InvitationPurpose purpose)
    {
        switch (name)
        {
            case "invite": purpose = InvitationPurpose.Invite; return true;
            case "password_reset": purpose = InvitationPurpose.PasswordReset; return true;
            case "mfa_reset": purpose = InvitationPurpose.MfaReset; return true;
            case "recovery": purpose = InvitationPurpose.Recovery; return true;
            case "bot_join": purpose = InvitationPurpose.BotJoin; return true;
            default: purpose = default; return false;
        }
    }

    public static string ToName(this SessionKind kind) => kind switch
    {
        SessionKind.Login => "login",
        SessionKind.Bot => "bot",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static bool TryParseSessionKind(string? name, out SessionKind kind)
    {
        switch (name)
        {
            case "login": kind = SessionKind.Login; return true;
            case "bot": kind = SessionKind.Bot; return true;
            default: kind = default; return false;
        }
    }
}
