using System.CommandLine;
using Custos.Cli.Admin;
using Custos.Cli.Audit;
using Custos.Cli.Identity;
using Custos.Cli.Policy;
using Custos.Cli.Serve;
using Custos.Cli.Ssh;

namespace Custos.Cli;

/// <summary>The whole <c>custos</c> command tree (built here so tests parse exactly what the executable parses).</summary>
public static class CustosCommandLine
{
    public static RootCommand CreateRoot() => new("Custos: privileged access management. Just-in-time, short-lived, audited access.")
    {
        ServeCommand.Create(),
        SessionCommands.Login(),
        SessionCommands.Logout(),
        SessionCommands.Status(),
        SessionCommands.Passwd(),
        SessionCommands.Mfa(),
        EnrollmentCommands.Invite(),
        ReachableCommand.Create(),
        SshCommand.Create(),
        HostKeyCheck.Create(),
        AccessCommands.Create(),
        BotCommands.Create(),
        AuditCommands.Create(),
        Nodes.NodeCommands.Create(),
        AdminCommands.Create(),
    };
}
