package main

import "fmt"

// messages holds every user-facing text in English and, for Chinese
// locales, in FlaxFile 1.2's wording.
var messages = map[string][2]string{
	"error":            {"error", "错误"},
	"keygenDone":       {"✓ Wrote the secret key to %s and the public key to %s:", "✓ 已写入私钥 %s 和公钥 %s:"},
	"keyMode":          {"🔒 Key-file mode: server public key %s", "🔒 密钥文件模式: 服务器公钥 %s"},
	"keyModeClients":   {"   %d authorized client keys (%s)", "   %d 个授权客户端公钥 (%s)"},
	"keyModeAny":       {"   ⚠️  No --authorized-keys: any client that knows the server key may connect", "   ⚠️  未指定 --authorized-keys: 任何知道服务器公钥的客户端都可连接"},
	"syncPlan":         {"Plan: %d new, %d modified, %d unchanged, %d to delete; %s to send", "计划: %d 个新增, %d 个修改, %d 个跳过, %d 个待删除; 需传输 %s"},
	"syncSkip":         {"⚠️  skipped %s: %s", "⚠️  跳过 %s: %s"},
	"syncPushDone":     {"✓ Push complete", "✓ 同步上传完成"},
	"syncPullDone":     {"✓ Pull complete", "✓ 同步下载完成"},
	"syncDryRun":       {"Dry run: nothing was moved or deleted", "试运行: 未传输或删除任何文件"},
	"syncWithFailures": {"✗ Finished with %d failed files", "✗ 已结束, %d 个文件失败"},
	"syncOnlyThere":    {"%d files only %s (use --delete to remove them)", "%d 个文件仅存在于%s (使用 --delete 删除)"},
	"onServer":         {"on the server", "服务器上"},
	"onLocal":          {"here", "本地"},
	"local":            {"Local", "本地"},
	"remote":           {"Remote", "远程"},
	"syncNew":          {"New", "新增"},
	"syncModified":     {"Modified", "修改"},
	"syncSkipped":      {"Unchanged", "跳过"},
	"syncDeleted":      {"Deleted", "删除"},
	"syncFailed":       {"Failed", "失败"},
	"syncData":         {"Data", "数据"},
	"syncFailures":     {"Failed files (%d):", "失败的文件 (%d):"},
	"syncSomeFailed":   {"%d files failed", "%d 个文件失败"},
	"seeHelp":          {"Run 'flaxfile --help' for usage.", "运行 'flaxfile --help' 查看用法。"},
	"interrupted":      {"interrupted", "中断"},
	"uploading":        {"uploading", "上传中"},
	"downloading":      {"downloading", "下载中"},
	"uploadDone":       {"✓ Upload complete", "✓ 上传完成"},
	"downloadDone":     {"✓ Download complete", "✓ 下载完成"},
	"file":             {"File", "文件"},
	"size":             {"Size", "大小"},
	"totalTime":        {"Total time", "总耗时"},
	"throughput":       {"Throughput", "吞吐量"},
	"savedTo":          {"Saved to", "保存到"},
	"seconds":          {"%.2fs", "%.2f秒"},
	"deleted":          {"✓ Deleted: %s", "✓ 删除成功: %s"},
	"deleteFailed":     {"delete failed: %s: %s", "删除失败: %s: %s"},
	"listTitle":        {"Files on the server (%d files)", "服务器文件列表 (%d 个文件)"},
	"listEmpty":        {"⚠️  The server has no files", "⚠️  服务器上没有文件"},
	"listNoMatch":      {"⚠️  No files match '%s'", "⚠️  未找到匹配 '%s' 的文件"},
	"listTotal":        {"Total: %d files, %s", "总计: %d 个文件，%s"},
	"colKey":           {"Key", "文件键"},
	"colHeld":          {"Held", "已保存"},
	"colLastWritten":   {"Last written", "最后写入"},
	"noPartials":       {"No interrupted uploads.", "没有中断的上传。"},
	"partialsTotal":    {"%d interrupted upload(s), %s held", "%d 个中断的上传，共保存 %s"},
	"partialsCleared":  {"✓ Cleared %d interrupted upload(s)", "✓ 已清除 %d 个中断的上传"},
	"colSize":          {"Size", "大小"},
	"colMtime":         {"Modified", "修改时间"},
	"colName":          {"Name", "名称"},
	"colType":          {"Type", "类型"},
	"colFiles":         {"Files", "文件数"},
	"typeFile":         {"file", "文件"},
	"typeDir":          {"dir", "目录"},
	"passwordPrompt":   {"Server password: ", "服务器密码: "},
	"passwordHint":     {"The server requires encryption.", "服务器要求加密。"},
	"manDone":          {"Wrote the man pages to %s (man -l %[1]s/flaxfile.1)", "已将手册页写入 %s (man -l %[1]s/flaxfile.1)"},
	"resumed":          {"Resumed", "续传"},
	"alreadyThere":     {"%s already there", "已有 %s"},
	"needPassword":     {"the server at %s requires encryption: set FLAXFILE_PASSWORD (or --password, or password_file for this server in the config)", "服务器 %s 要求加密: 请设置 FLAXFILE_PASSWORD (或 --password, 或在配置中为该服务器设置 password_file)"},
	"enableEnc":        {"Enable encryption? (needs a password) [Y/n]: ", "是否启用加密? (需要设置密码) [Y/n]: "},
	"serverPassword":   {"Server password (for encryption): ", "请输入服务器密码（用于加密传输）: "},
	"weakPassword":     {"⚠️  Warning: weak password; use at least 16 characters", "⚠️  警告: 密码强度较弱，建议使用至少 16 个字符的强密码"},
	"banner":           {"FlaxFile server (DEALER/ROUTER, one port)", "FlaxFile 异步单端口文件传输服务器 (DEALER/ROUTER)"},
	"storageDir":       {"Storage: %s", "存储目录: %s"},
	"serviceAddr":      {"Address: tcp://%s", "服务地址: tcp://%s"},
	"started":          {"✓ Server started, listening on %s", "✓ 服务器已启动，监听 %s"},
	"anyAddr":          {"⚠️  Listening on all interfaces", "⚠️  监听所有网络接口"},
	"encOn":            {"🔒 CurveZMQ encryption on", "🔒 已启用 CurveZMQ 加密"},
	"fingerprint":      {"   Server key fingerprint: %s", "   服务器公钥指纹: %s"},
	"encOff":           {"⚠️  Encryption off - data travels in plain text", "⚠️  未启用加密 - 数据将明文传输"},
	"encOffHint":       {"   Set FLAXFILE_PASSWORD or type a password to encrypt", "   建议设置 FLAXFILE_PASSWORD 环境变量或交互输入密码"},
	"fixedSalt":        {"   Note: password keys use a fixed salt, so a weak password can be guessed offline", "   注意: 密码派生密钥使用固定盐值，弱密码可被离线猜测"},
	"stopped":          {"Server stopped: %d uploads (%s), %d downloads (%s)", "服务器已停止: 上传 %d 次 (%s)，下载 %d 次 (%s)"},
	"configCreated":    {"✓ Created config file: %s", "✓ 已创建配置文件: %s"},
	"configEdit":       {"\nEdit it to customise your settings", "\n请编辑配置文件以自定义设置"},
	"configExists":     {"config file already exists: %s", "配置文件已存在: %s"},
	"configFile":       {"Config file: %s", "配置文件: %s"},
	"configNone":       {"Config file: none found (built-in defaults)", "配置文件: 未找到（使用默认配置）"},
	"configTitle":      {"FlaxFile configuration", "FlaxFile 配置"},
	"configServer":     {"Server (flaxfile serve):", "服务器配置（flaxfile serve）:"},
	"configClient":     {"Client:", "客户端配置:"},
	"configRemotes":    {"Servers:", "远程服务器列表:"},
	"configDefault":    {"default server", "默认服务器"},
	"configInUse":      {"← in use", "← 当前使用"},
	"configSaved":      {"✓ Saved %s", "✓ 已保存 %s"},
	"unknownServer":    {"--server %s: %v", "--server %s: %v"},
	"configWarn":       {"warning: %s", "警告: %s"},
	"versionFeatures":  {"ZMTP 3.1 and CurveZMQ in pure Go · wire-compatible with FlaxFile 1.2", "纯 Go 实现的 ZMTP 3.1 与 CurveZMQ · 与 FlaxFile 1.2 协议兼容"},
}

// msg returns message key in the user's language, formatted with args.
func (e *env) msg(key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	s := m[0]
	if e.zh {
		s = m[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}
