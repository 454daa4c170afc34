using Custos.Cli;

return await CliRunner.RunAsync(CustosCommandLine.CreateRoot(), args);
