package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// helpZH is the Chinese of every command's help and every flag's usage,
// keyed by the English (a Long text without its exit-codes paragraph).
var helpZH = map[string]string{
	"Move files between machines, fast": "在机器之间快速传输文件",
	"FlaxFile keeps files under keys on a server and moves them over several\nconnections at once. It speaks FlaxFile 1.2's protocol, plain and encrypted.": "FlaxFile 在服务器上按键保存文件，并通过多个连接同时传输。\n它兼容 FlaxFile 1.2 协议，支持明文和加密。",
	"config file (default: search ./flaxfile.toml, ~/flaxfile.toml, the XDG config dir)":                                                                    "配置文件（默认依次查找 ./flaxfile.toml、~/flaxfile.toml、XDG 配置目录）",
	"write a CPU profile to this file (for development)":                                                                                                    "将 CPU 性能分析写入此文件（开发用）",
	"key-file mode: this side's secret key file (see 'flaxfile keygen')":                                                                                    "密钥文件模式：本端的私钥文件（见 'flaxfile keygen'）",
	"print results as JSON, one object per line":                                                                                                            "以 JSON 输出结果，每行一个对象",
	"the old name of --identity":                                                   "--identity 的旧名称",
	"no progress bars, even on a terminal":                                         "不显示进度条（即使在终端上）",
	"encryption password (default $FLAXFILE_PASSWORD; empty means none)":           "加密密码（默认取 $FLAXFILE_PASSWORD；为空表示不加密）",
	"protocol: 2 or 1.2 (default: FlaxFile 2 when the server speaks it, else 1.2)": "协议：2 或 1.2（默认：服务器支持时用 FlaxFile 2，否则 1.2）",
	"print nothing but errors":                                                     "只输出错误",
	"server: a name from the config file, or HOST:PORT (several, comma-separated, for servers of one shared store)": "服务器：配置文件中的名称，或 HOST:PORT（共享同一存储的多台服务器用逗号分隔）",
	"key-file mode: the server's public key (Z85), or its .pub file":                                                "密钥文件模式：服务器公钥（Z85），或其 .pub 文件",
	"more detail: -v debug lines and the full errors, -vv the protocol exchange too":                                "更多细节：-v 输出调试信息和完整错误，-vv 还输出协议交互",
	"Show or edit the configuration (alone: edit it with prompts)":                                                  "查看或编辑配置（单独使用时：逐项提示编辑）",
	"Write a commented config file (default ./flaxfile.toml)":                                                       "写出带注释的配置文件（默认 ./flaxfile.toml）",
	"Show where config files are looked for":                                                                        "显示配置文件的查找位置",
	"Show the configuration in use":                                                                                 "显示当前使用的配置",
	"Delete a file, or a directory with everything under it":                                                        "删除文件，或删除目录及其下所有内容",
	"Download files (OUTPUT defaults to KEY as a relative path; - writes standard output)":                          "下载文件（OUTPUT 默认为以 KEY 为相对路径；- 表示写到标准输出）",
	"Download files, as cp copies them: KEY [OUTPUT] writes KEY to OUTPUT (KEY's own path,\nrelative, by default); a directory (or a name ending in /) as OUTPUT gets DIR/BASE,\nBASE being KEY's base name; several KEYs need such a directory; - writes standard output. Nothing\nis downloaded before the destination is known to be writable.": "像 cp 一样下载文件：KEY [OUTPUT] 把 KEY 写到 OUTPUT（默认为 KEY 自身的相对路径）；\nOUTPUT 为目录（或以 / 结尾）时写到 DIR/BASE，BASE 为 KEY 的基本名；多个 KEY 需要这样的目录；\n- 表示写到标准输出。确认目标可写之前不会下载任何内容。",
	"chunk size in MiB (default: as 1.2)":                  "分块大小，单位 MiB（默认：同 1.2）",
	"connections per file (default: by file size, as 1.2)": "每个文件的连接数（默认：按文件大小，同 1.2）",
	"chunks in flight per connection (default: as 1.2)":    "每个连接同时在途的分块数（默认：同 1.2）",
	"over an older copy on the other side, move only what differs, even where it shifted (default: on links with a round trip over 5 ms)": "对方已有旧副本时，只传输不同的部分，数据移位也能找到（默认：往返时间超过 5 毫秒的链路上启用）",
	"compress every chunk that shrinks (default: when the data shrinks and the link is slower than compressing it)":                       "压缩每个能变小的数据块（默认：数据可压缩且链路比压缩慢时启用）",
	"never compress":          "从不压缩",
	"always move whole files": "总是传输整个文件",
	"Help about any command":  "任意命令的帮助",
	"Help provides help for any command in the application.\nSimply type flaxfile help [path to command] for full details.": "显示任意命令的帮助。\n输入 flaxfile help [命令] 查看完整说明。",
	"Write a new key pair: the secret key to FILE (mode 0600), the public key to FILE.pub":                                  "生成新的密钥对：私钥写入 FILE（权限 0600），公钥写入 FILE.pub",
	"Write a new CURVE key pair for key-file mode: the secret key to FILE (mode 0600) and\nthe public key, in Z85, to FILE.pub. A server uses its pair with 'serve --identity FILE';\na client with '--identity FILE', and the server lists the client's public key in its\n--authorized-keys file.": "为密钥文件模式生成新的 CURVE 密钥对：私钥写入 FILE（权限 0600），\nZ85 格式的公钥写入 FILE.pub。服务器用 'serve --identity FILE' 使用其密钥对；\n客户端用 '--identity FILE'，服务器在 --authorized-keys 文件中列出客户端公钥。",
	"List files, grouped by top-level key (--detailed: one row per file)": "列出文件，按顶层键分组（--detailed：每个文件一行）",
	"one row per file":                                                 "每个文件一行",
	"Write the man pages (section 1) to DIR":                           "将手册页（第 1 节）写入 DIR",
	"Make the local DIR (default: ./REMOTE) match the server's REMOTE": "使本地 DIR（默认 ./REMOTE）与服务器上的 REMOTE 一致",
	"Make the local directory DIR (default: ./REMOTE) match the server's directory REMOTE.\nFiles are compared by size and modification time, then by content hash\nwhen those are not enough; only what differs is sent, small files many to\na message, interrupted ones resumed. Ignored: .git, .hg, .svn, .bzr,\n__pycache__, *.pyc, .pytest_cache, .mypy_cache, .tox, .venv, node_modules,\n.DS_Store, Thumbs.db, FlaxFile's partial files, and what every .gitignore\nand .flaxignore names (--no-ignore turns these off). Symbolic links to\nfiles inside the tree are sent as those files; links leading out of the\ntree, to directories, or broken are skipped with a warning.": "使本地目录 DIR（默认 ./REMOTE）与服务器上的目录 REMOTE 一致。\n先按大小和修改时间比较文件，不足以判断时再比较内容哈希；只传输有差异的文件，\n小文件合并为一条消息发送，中断的传输会续传。忽略：.git、.hg、.svn、.bzr、\n__pycache__、*.pyc、.pytest_cache、.mypy_cache、.tox、.venv、node_modules、\n.DS_Store、Thumbs.db、FlaxFile 的未完成文件，以及所有 .gitignore 和 .flaxignore\n列出的路径（--no-ignore 可关闭这些规则）。指向树内文件的符号链接按所指文件发送；\n指向树外、指向目录或已失效的链接会跳过并给出警告。",
	"let --delete empty the receiving side when the sending side is empty or missing":    "允许 --delete 在发送端为空或不存在时清空接收端",
	"delete files the receiving side has and the sending side lacks (also with --force)": "删除接收端有而发送端没有的文件（--force 时同样有效）",
	"print the plan and change nothing":                                                  "只输出计划，不做任何更改",
	"also ignore paths matching this pattern (.gitignore syntax; repeatable)":            "另外忽略匹配此模式的路径（.gitignore 语法；可重复）",
	"send every file without comparing":                                                  "不比较，发送所有文件",
	"keep paths matching this pattern whatever the ignore rules say (repeatable)":        "无论忽略规则如何，都保留匹配此模式的路径（可重复）",
	"refuse the whole sync if it needs more than N deletions":                            "若需要删除的文件超过 N 个，则拒绝整个同步",
	"turn off the automatic ignores, .gitignore and .flaxignore":                         "关闭自动忽略规则、.gitignore 和 .flaxignore",
	"Make the server's REMOTE (default: DIR's name) match the local DIR":                 "使服务器上的 REMOTE（默认为 DIR 的名称）与本地 DIR 一致",
	"Make the server's directory REMOTE (default: the base name of DIR) match DIR.\nFiles are compared by size and modification time, then by content hash\nwhen those are not enough; only what differs is sent, small files many to\na message, interrupted ones resumed. Ignored: .git, .hg, .svn, .bzr,\n__pycache__, *.pyc, .pytest_cache, .mypy_cache, .tox, .venv, node_modules,\n.DS_Store, Thumbs.db, FlaxFile's partial files, and what every .gitignore\nand .flaxignore names (--no-ignore turns these off). Symbolic links to\nfiles inside the tree are sent as those files; links leading out of the\ntree, to directories, or broken are skipped with a warning.": "使服务器上的目录 REMOTE（默认为 DIR 的基本名）与 DIR 一致。\n先按大小和修改时间比较文件，不足以判断时再比较内容哈希；只传输有差异的文件，\n小文件合并为一条消息发送，中断的传输会续传。忽略：.git、.hg、.svn、.bzr、\n__pycache__、*.pyc、.pytest_cache、.mypy_cache、.tox、.venv、node_modules、\n.DS_Store、Thumbs.db、FlaxFile 的未完成文件，以及所有 .gitignore 和 .flaxignore\n列出的路径（--no-ignore 可关闭这些规则）。指向树内文件的符号链接按所指文件发送；\n指向树外、指向目录或已失效的链接会跳过并给出警告。",
	"Run a server": "运行服务器",
	"Run a server on one TCP port. Without --password it uses FLAXFILE_PASSWORD if set\n(empty: no encryption), else asks on a terminal, else runs without encryption.\nSIGINT or SIGTERM stops it: it accepts no connection and starts no transfer, lets those\nin flight finish for up to --shutdown-timeout, then stops; a second signal stops it at once.\nUnfinished uploads are never published (FlaxFile 2 ones are kept for a resume).": "在一个 TCP 端口上运行服务器。未给出 --password 时，若设置了 FLAXFILE_PASSWORD 则使用它\n（为空表示不加密），否则在终端上询问，否则不加密运行。\nSIGINT 或 SIGTERM 会停止服务器：不再接受连接、不再开始传输，让进行中的传输在\n--shutdown-timeout 内完成后停止；再收到一次信号则立即停止。\n未完成的上传绝不会发布（FlaxFile 2 的上传会保留以便续传）。",
	"Show what a server is and does: version, uptime, transfers, partial uploads, space, limits":                      "显示服务器的情况：版本、运行时间、传输、中断的上传、空间、限制",
	"access log format: text or json (default: --log-format)":                                                         "访问日志格式：text 或 json（默认：同 --log-format）",
	"write one line per finished transfer and refused request to FILE ('-': standard error); SIGHUP reopens it":       "每个完成的传输和被拒绝的请求向 FILE 写一行（'-'：标准错误）；SIGHUP 会重新打开它",
	"List or clear the interrupted uploads a server keeps for a resume":                                               "列出或清除服务器为续传而保留的中断上传",
	"List the interrupted uploads this client may see (its own keys', or all for an admin key)":                       "列出本客户端可见的中断上传（自己可写的键；管理员密钥可见全部）",
	"Remove the interrupted uploads of KEYs, or all this client may see":                                              "删除指定 KEY 的中断上传，或本客户端可见的全部",
	"every interrupted upload this client may see":                                                                    "本客户端可见的每一个中断上传",
	"hold all transfers together to RATE octets a second (e.g. 100M, 1G; powers of 1024)":                             "将所有传输合计限制为每秒 RATE 字节（如 100M、1G；按 1024 进位）",
	"hold each client's transfers to RATE octets a second (a client: its key in key-file mode, else its IP address)":  "将每个客户端的传输限制为每秒 RATE 字节（客户端：密钥文件模式下为其密钥，否则为其 IP 地址）",
	"hold the transfer to RATE octets a second, all connections together (e.g. 500K, 20M, 1G; powers of 1024)":        "将本次传输（所有连接合计）限制为每秒 RATE 字节（如 500K、20M、1G；按 1024 进位）",
	"serve Prometheus metrics, /healthz and /readyz over HTTP on HOST:PORT (off by default; never the data port)":     "在 HOST:PORT 上通过 HTTP 提供 Prometheus 指标、/healthz 和 /readyz（默认关闭；绝不使用数据端口）",
	"on SIGINT or SIGTERM, how long transfers in flight may take to finish (0: stop at once)":                         "收到 SIGINT 或 SIGTERM 后，进行中的传输最多可用多长时间完成（0：立即停止）",
	"key-file mode (with --identity): a file of '<client public key> <ro|rw> [prefix]' lines, reread when it changes": "密钥文件模式（配合 --identity）：每行 '<客户端公钥> <ro|rw> [前缀]' 的文件，变更时重新读取",
	"time a new connection has to finish its handshake":                                                               "新连接完成握手的时限",
	"address to listen on (config [server] host, default 0.0.0.0)":                                                    "监听地址（配置 [server] host，默认 0.0.0.0）",
	"log format: text or json": "日志格式：text 或 json",
	"log level: debug, info, warn or error (-q: error, and no banner)":                                                                        "日志级别：debug、info、warn 或 error（-q：error，且不显示横幅）",
	"connections kept open at once; more are closed at once":                                                                                  "同时保持的连接数；超出的连接会立即关闭",
	"MiB one request may hold":                                                                                                                "单个请求最多可占用的 MiB",
	"uploads open at once; more are refused until one ends":                                                                                   "同时进行的上传数；超出时拒绝，直到有上传结束",
	"MiB of received chunk data held at once":                                                                                                 "同时保留的已接收分块数据（MiB）",
	"publish uploads without fsync (faster; a crash may lose them)":                                                                           "发布上传时不执行 fsync（更快；崩溃时可能丢失）",
	"how long an interrupted upload is kept for a resume (config [server] partial_expiry_hours, default 24h)":                                 "中断的上传为续传保留多久（配置 [server] partial_expiry_hours，默认 24h）",
	"port (config [server] port, default 25555; 0 picks a free one)":                                                                          "端口（配置 [server] port，默认 25555；0 表示自动选择空闲端口）",
	"how long an unfinished upload may sit idle (config [server] session_timeout, default 300s)":                                              "未完成的上传可空闲多久（配置 [server] session_timeout，默认 300s）",
	"the store, as dir:PATH, mem:[SIZE] or s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT (config [server] storage; overrides --storage-dir)": "存储，形如 dir:PATH、mem:[SIZE] 或 s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT（配置 [server] storage；优先于 --storage-dir）",
	"where files are kept (config [server] storage_dir, default ./zmq_streaming_storage)":                                                     "文件存放位置（配置 [server] storage_dir，默认 ./zmq_streaming_storage）",
	"Upload files (KEY defaults to the file's base name; - reads standard input)":                                                             "上传文件（KEY 默认为文件的基本名；- 表示读取标准输入）",
	"Upload files, as cp copies them: FILE [KEY] stores FILE under KEY (its base name by\ndefault); a KEY ending in / stores FILE below it; several FILEs need such a KEY;\n- as FILE reads standard input (kept in a temporary file, so memory stays flat).": "像 cp 一样上传文件：FILE [KEY] 把 FILE 存为 KEY（默认为其基本名）；以 / 结尾的 KEY\n会把 FILE 存在其下；多个 FILE 需要这样的 KEY；FILE 为 - 时读取标准输入\n（先存入临时文件，内存占用保持平稳）。",
	"Print the version, commit and build date": "显示版本、提交和构建日期",
	"rename downloads into place without flushing them to the disk first (faster; a crash soon after may leave a damaged file)": "下载完成后不先刷写到磁盘就重命名到位（更快；随后崩溃可能留下损坏的文件）",
}

// exitCodesZH is exitCodesHelp in Chinese.
const exitCodesZH = "\n退出码：0 成功，1 失败，2 用法错误，130 被中断。"

// translateHelp puts every command's help, every flag's usage and the
// usage template into Chinese.
func translateHelp(root *cobra.Command) {
	tr := func(s string) string {
		body, codes := strings.CutSuffix(s, exitCodesHelp)
		if zh, ok := helpZH[body]; ok {
			if codes {
				zh += exitCodesZH
			}
			return zh
		}
		if rest, ok := strings.CutPrefix(s, "help for "); ok {
			return rest + " 的帮助"
		}
		if rest, ok := strings.CutPrefix(s, "version for "); ok {
			return rest + " 的版本"
		}
		return s
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.InitDefaultHelpFlag()
		c.Short, c.Long = tr(c.Short), tr(c.Long)
		for _, fs := range []*pflag.FlagSet{c.LocalFlags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) { f.Usage = tr(f.Usage) })
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	root.InitDefaultVersionFlag()
	root.InitDefaultHelpCmd()
	walk(root)
	t := root.UsageTemplate()
	for _, p := range [][2]string{ // longest first: "Global Flags:" before "Flags:"
		{"Additional help topics:", "其他帮助主题:"}, {"Additional Commands:", "其他命令:"},
		{"Available Commands:", "可用命令:"}, {"Global Flags:", "全局选项:"}, {"Aliases:", "别名:"},
		{"Examples:", "示例:"}, {"Usage:", "用法:"}, {"Flags:", "选项:"}, {"[command]", "[命令]"},
		{"for more information about a command.", "查看命令的详细信息。"}, {`Use "`, `使用 "`},
	} {
		t = strings.ReplaceAll(t, p[0], p[1])
	}
	root.SetUsageTemplate(t)
}
