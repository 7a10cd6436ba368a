// `periscope console gen-completion bash|zsh|fish`: shell completion scripts for the
// `periscope` command's console and replay options, printed to stdout (tokio-console's
// gen-completion). Written out here: the option list is small and clap has no Node twin.
import { ALL_LINTS } from "./lints.ts";
import { LOG_LEVELS } from "./log.ts";
import { PALETTES } from "./styles.ts";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

interface Opt {
  long: string;
  short?: string;
  help: string;
  /** Values to offer; "file" and "dir" complete paths; undefined: a flag without a value. */
  values?: readonly string[] | "file" | "dir" | "any";
}

export const OPTIONS: readonly Opt[] = [
  { long: "retain-for", help: "keep completed tasks listed this long", values: "any" },
  { long: "warn", short: "W", help: "lints to run", values: ["all", ...ALL_LINTS] },
  { long: "allow", short: "A", help: "lints to switch off", values: ["all", ...ALL_LINTS] },
  { long: "no-colors", help: "no colours" },
  { long: "palette", help: "colour palette", values: PALETTES },
  { long: "colorterm", help: "override COLORTERM", values: ["24bit", "truecolor", "256color"] },
  { long: "no-duration-colors", help: "no colours for duration units" },
  { long: "no-terminated-colors", help: "do not dim completed tasks" },
  { long: "ascii-only", help: "only ASCII characters" },
  { long: "lang", help: "override LANG", values: "any" },
  { long: "log", help: "the console's own log level", values: LOG_LEVELS },
  { long: "log-dir", help: "directory for the console's log files", values: "dir" },
  { long: "replay", help: "play a recording", values: "file" },
  { long: "help", short: "h", help: "the option list" },
];

const SUBCOMMANDS = ["gen-config", "gen-completion"];

function bash(): string {
  const cases = OPTIONS.filter((o) => o.values !== undefined)
    .map((o) => {
      const pats = [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])].join("|");
      const body =
        o.values === "file"
          ? `COMPREPLY=( $(compgen -f -- "$cur") )`
          : o.values === "dir"
            ? `COMPREPLY=( $(compgen -d -- "$cur") )`
            : o.values === "any"
              ? "COMPREPLY=()"
              : `COMPREPLY=( $(compgen -W "${(o.values as readonly string[]).join(" ")}" -- "$cur") )`;
      return `        ${pats}) ${body}; return 0 ;;`;
    })
    .join("\n");
  const words = OPTIONS.flatMap((o) => [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])]);
  return `# bash completion for periscope (console and replay); source it, or put it in
# the bash-completion directory as "periscope".
_periscope() {
    local cur prev
    cur="\${COMP_WORDS[COMP_CWORD]}"
    prev="\${COMP_WORDS[COMP_CWORD-1]}"
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=( $(compgen -W "console replay viewer help" -- "$cur") )
        return 0
    fi
    if [ "\${COMP_WORDS[1]}" = console ] && [ "$prev" = gen-completion ]; then
        COMPREPLY=( $(compgen -W "${SHELLS.join(" ")}" -- "$cur") )
        return 0
    fi
    case "$prev" in
${cases}
    esac
    if [ "\${COMP_WORDS[1]}" = console ] && [ "$COMP_CWORD" -eq 2 ] && [[ "$cur" != -* ]]; then
        COMPREPLY=( $(compgen -W "${SUBCOMMANDS.join(" ")}" -- "$cur") )
        return 0
    fi
    COMPREPLY=( $(compgen -W "${words.join(" ")}" -- "$cur") )
}
complete -F _periscope periscope
`;
}

function zsh(): string {
  const q = (s: string) => s.replace(/'/g, "'\\''").replace(/[[\]:]/g, "\\$&");
  const spec = OPTIONS.map((o) => {
    const action =
      o.values === undefined
        ? ""
        : o.values === "file"
          ? ":file:_files"
          : o.values === "dir"
            ? ":directory:_files -/"
            : o.values === "any"
              ? ":value: "
              : `:value:(${(o.values as readonly string[]).join(" ")})`;
    const names = o.short ? `{-${o.short},--${o.long}}` : `--${o.long}`;
    return `    '${o.short ? "(-" + o.short + " --" + o.long + ")" : ""}'${names}'[${q(o.help)}]${action}'`;
  }).join(" \\\n");
  return `#compdef periscope
# zsh completion for periscope (console and replay); put it on $fpath as "_periscope".
_periscope() {
  local context state line
  _arguments -C '1:command:(console replay viewer help)' '*::arg:->args'
  case $words[1] in
    console)
      if [[ $words[2] == gen-completion ]]; then _values shell ${SHELLS.join(" ")}; return; fi
      _arguments \\
    '1::subcommand or address:(${SUBCOMMANDS.join(" ")})' \\
${spec}
      ;;
    replay)
      _arguments '1:recording:_files' \\
${spec}
      ;;
  esac
}
_periscope "$@"
`;
}

function fish(): string {
  const lines = OPTIONS.map((o) => {
    const parts = ["complete -c periscope -n '__fish_seen_subcommand_from console replay'"];
    if (o.short) parts.push(`-s ${o.short}`);
    parts.push(`-l ${o.long}`);
    if (o.values === "file") parts.push("-r -F");
    else if (o.values === "dir") parts.push("-r -a '(__fish_complete_directories)'");
    else if (o.values === "any") parts.push("-r -f");
    else if (o.values !== undefined) parts.push(`-r -f -a '${o.values.join(" ")}'`);
    parts.push(`-d '${o.help.replace(/'/g, "\\'")}'`);
    return parts.join(" ");
  });
  return `# fish completion for periscope (console and replay); save it as
# ~/.config/fish/completions/periscope.fish.
complete -c periscope -f
complete -c periscope -n '__fish_use_subcommand' -a 'console replay viewer help'
complete -c periscope -n '__fish_seen_subcommand_from console; and not __fish_seen_subcommand_from ${SUBCOMMANDS.join(" ")}' -a '${SUBCOMMANDS.join(" ")}'
complete -c periscope -n '__fish_seen_subcommand_from gen-completion' -a '${SHELLS.join(" ")}'
${lines.join("\n")}
`;
}

export function completionScript(shell: Shell): string {
  return shell === "bash" ? bash() : shell === "zsh" ? zsh() : fish();
}
