"""The demo organisation: its departments and people, and the texts its
records are made from (customers, complaints, inquiries, findings)."""

from __future__ import annotations

import dataclasses
from datetime import date

# --- the organisation ---------------------------------------------------------

#: Printed at the top of its Word forms.
ORGANISATION_NAME = "城东计量与供热服务中心"

DEPARTMENTS = (
    ("CS", "客服中心"),
    ("MET", "计量检定部"),
    ("TEST", "检测部"),
    ("HEAT", "供热分公司"),
    ("AS", "售后服务部"),
    ("QA", "质量管理部"),
)


@dataclasses.dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    roles: tuple[str, ...]
    department: str | None = None
    positions: tuple[str, ...] = ()


USERS = (
    DemoUser("admin", "赵立新", ("admin",)),
    DemoUser("wangfang", "王芳", ("controller",), "CS"),
    DemoUser("liuyang", "刘洋", ("controller",), "CS"),
    DemoUser("zhengyu", "郑宇", ("staff",), "CS"),
    DemoUser("zhangwei", "张伟", ("staff",), "MET"),
    DemoUser("lina", "李娜", ("staff",), "MET"),
    DemoUser("chenjing", "陈静", ("staff",), "TEST"),
    DemoUser("yangfan", "杨帆", ("staff",), "TEST"),
    DemoUser("zhaolei", "赵磊", ("staff",), "HEAT"),
    DemoUser("sunli", "孙丽", ("staff",), "HEAT"),
    DemoUser("zhoujie", "周杰", ("staff",), "HEAT"),
    DemoUser("wuqiang", "吴强", ("staff",), "AS"),
    DemoUser("xumin", "徐敏", ("staff",), "AS"),
    DemoUser("hugang", "胡刚", ("staff",), "QA"),
    DemoUser("huangjianguo", "黄建国", ("approver",), None, ("director",)),
    DemoUser("linzhiqiang", "林志强", ("approver",), "MET", ("technical_manager",)),
    DemoUser("heyan", "何燕", ("approver",), "QA", ("quality_manager",)),
    DemoUser("gaoming", "高明", ("auditor",), "QA"),
)

CONTROLLERS = ("wangfang", "liuyang")
DIRECTOR = "huangjianguo"
TECHNICAL_MANAGER = "linzhiqiang"
QUALITY_MANAGER = "heyan"
#: Users who take no step on records: an existing one may keep its password.
PASSIVE = ("admin", "gaoming")

# --- texts ------------------------------------------------------------------

COMPANIES = (
    "华信精密机械有限公司",
    "东方制药股份有限公司",
    "市第一人民医院",
    "恒通建设工程有限公司",
    "新星电子科技有限公司",
    "绿源食品有限公司",
    "长江燃气有限公司",
    "中兴路加油站",
    "北湖水务集团",
    "宏达混凝土有限公司",
    "瑞丰化工有限公司",
    "明光环境监测站",
    "金桥汽车零部件有限公司",
    "市疾病预防控制中心",
    "安泰检测设备有限公司",
    "嘉禾粮油有限公司",
)
PROPERTY_COMPANIES = (
    "锦绣物业服务有限公司",
    "安居物业管理有限公司",
    "城建物业有限公司",
    "绿城花园业主委员会",
)
COMMUNITIES = (
    "阳光花园",
    "锦绣家园",
    "翠湖苑",
    "金色港湾",
    "幸福里小区",
    "滨河新村",
    "丽景华庭",
    "书香门第",
    "南湖小区",
    "铁路新村",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
CONTACT_TITLES = ("经理", "主任", "工程师", "科长")

#: Complaint scenarios per handling department. ``season``: "heating" only in
#: the heating season, "off" only outside it, None any time. ``kind``: who
#: complains. ``capa``: the cause is usually ours and calls for corrective action.
COMPLAINTS = {
    "MET": (
        dict(
            subject="technical",
            resp="1",
            kind="company",
            capa=True,
            title="校准证书数据与送检仪器铭牌不符",
            description="客户送检的压力表（出厂编号{serial}）校准证书上的测量范围与仪器铭牌"
            "不一致，客户在第三方质量审核中被开具不符合项。",
            request="重新出具正确的校准证书，并书面说明原因。",
            plan="调取原始记录核对，由技术负责人组织追溯；确认系录入错误后收回原证书并重新"
            "出具，对证书审核人员进行培训。",
            reply="经核查原始记录，测量数据正确，证书中测量范围系录入错误。已收回原证书并"
            "重新出具，特向贵单位致歉。",
            result="已重新出具证书，客户确认无误。",
        ),
        dict(
            subject="delivery",
            resp="1",
            kind="company",
            capa=True,
            title="检定证书超期未出具",
            description="送检的{n}台电子天平已超过约定的5个工作日仍未取得检定证书，"
            "影响客户生产线验收。",
            request="尽快出具证书并告知延误原因。",
            plan="查明积压原因，安排加班完成检定，证书出具后电话通知客户领取。",
            reply="因检定用标准砝码送上级计量机构检定导致积压，现已完成检定并出具证书，"
            "已电话通知贵单位领取，对延误表示歉意。",
            result="客户已领取证书，同意关闭。",
        ),
        dict(
            subject="attitude",
            resp="1",
            kind="company",
            capa=False,
            title="收发室工作人员态度生硬",
            description="客户到收发室送检时询问收费标准，工作人员态度生硬、不耐烦，未给予解答。",
            request="要求道歉并改进服务。",
            plan="与当事人谈话核实情况，部门内通报，开展服务礼仪培训。",
            reply="经核实情况属实，已对当事人进行批评教育，部门已组织服务规范培训，特向您致歉。",
            result="客户接受道歉。",
        ),
        dict(
            subject="fees",
            resp="1",
            kind="company",
            capa=False,
            title="检定费用与公示标准不一致",
            description="客户认为本次{n}台压力表的检定收费高于大厅公示的收费标准。",
            request="核实收费，退还多收费用。",
            plan="核对收费项目与公示标准，如有多收予以退还。",
            reply="经核对，本次收费包含客户申请的加急服务费，收费单未逐项列明造成误解；"
            "已补开收费明细并向客户解释。",
            result="客户认可收费明细。",
        ),
        dict(
            subject="technical",
            resp="3",
            kind="company",
            capa=False,
            title="加油机检定后出现计量偏差",
            description="加油站反映检定合格后的{n}号加油机在使用中出现计量偏差，"
            "车主投诉加油量不足。",
            request="派人现场复检。",
            plan="技术负责人安排两名检定员现场复检，并追溯原检定记录和标准器状态。",
            reply="现场复检加油机示值误差在允许范围内，偏差系加油枪更换后未重新调校所致，"
            "已协助站方调校并出具复检报告。",
            result="复检合格，客户认可。",
        ),
    ),
    "TEST": (
        dict(
            subject="technical",
            resp="1",
            kind="company",
            capa=True,
            title="检测报告数据有误",
            description="客户收到的水质检测报告（报告编号{report}）中总硬度数据与样品明显"
            "不符，怀疑样品编号混淆。",
            request="核查并重新出具报告。",
            plan="调取原始记录并用留样复测，核查样品流转记录；确认后收回原报告并重新出具。",
            reply="经留样复测，原报告中两份样品数据录入时编号对调，已更正并重新出具报告，"
            "原报告作废收回。",
            result="已重新出具报告，客户确认。",
        ),
        dict(
            subject="delivery",
            resp="1",
            kind="company",
            capa=True,
            title="检测报告延期出具",
            description="委托的{n}组混凝土试块抗压强度检测报告超过承诺日期仍未出具，影响工程验收。",
            request="尽快出具报告。",
            plan="核查检测进度，优先安排，报告出具后当日快递寄送。",
            reply="因压力试验机年度检定停机两天导致延期，报告已出具并快递寄出，"
            "快递单号已短信告知。",
            result="客户已收到报告。",
        ),
        dict(
            subject="technical",
            resp="3",
            kind="company",
            capa=False,
            title="对检测结论有异议",
            description="客户对其送检的保温材料导热系数检测结论为不合格有异议，"
            "认为样品在运输途中受潮。",
            request="重新检测或说明检测依据。",
            plan="由技术负责人复核检测过程和环境记录，用留样复测。",
            reply="复核检测过程符合标准要求，留样复测结果与原结论一致，已书面说明检测依据"
            "和方法，建议重新抽样送检。",
            result="客户接受书面说明，将重新抽样送检。",
        ),
        dict(
            subject="attitude",
            resp="1",
            kind="company",
            capa=False,
            title="咨询电话无人接听",
            description="客户多次致电检测部询问报告进度，电话无人接听，留言后也未回电。",
            request="要求有人及时答复。",
            plan="核查值班安排，指定专人负责客户咨询电话，实行24小时内回电。",
            reply="已向客户致歉并告知报告进度；部门已指定专人接听咨询电话并实行回电登记。",
            result="客户表示理解。",
        ),
        dict(
            subject="fees",
            resp="1",
            kind="company",
            capa=False,
            title="检测费用结算有误",
            description="客户发现结算单中重复收取了一项重金属检测费用。",
            request="退还重复收取的费用。",
            plan="核对委托单与结算单，确认后办理退费。",
            reply="经核对系结算人员重复录入，已办理退费，款项3个工作日内退回。",
            result="退费已到账。",
        ),
    ),
    "HEAT": (
        dict(
            subject="service_quality",
            resp="1",
            kind="resident",
            capa=False,
            season="heating",
            title="暖气不热",
            description="{community}{building}住户反映室内温度只有14℃左右，暖气片上热下凉，"
            "已持续三天。",
            request="尽快上门检修，保证室温达标。",
            plan="当日安排维修人员上门测温，检查户内系统及单元立管，排气并清洗过滤器。",
            reply="维修人员已上门排气并清洗入户过滤器，复测室温19℃，已达到供热标准。",
            result="室温达标，住户满意。",
        ),
        dict(
            subject="attitude",
            resp="1",
            kind="resident",
            capa=True,
            title="维修人员态度差",
            description="住户反映上门维修人员态度恶劣，与住户发生争执，维修后未清理现场。",
            request="要求道歉，并处理当事人。",
            plan="核实情况，当事人上门道歉；分公司内部通报并将服务规范纳入考核。",
            reply="经核实属实，当事人已上门致歉并清理现场；分公司已通报批评并纳入绩效考核。",
            result="住户接受道歉。",
        ),
        dict(
            subject="service_quality",
            resp="1",
            kind="resident",
            capa=True,
            season="heating",
            urgent=True,
            title="管道漏水维修不及时",
            description="{community}{building}楼道供暖管道漏水，报修后超过24小时未到场处理，"
            "楼道积水结冰。",
            request="立即维修并清理积水。",
            plan="立即派抢修队关阀维修，清理积水，调查报修单延误原因。",
            reply="抢修队已于当晚更换破损管段并清理积水；延误系报修单未及时流转，已整改派单流程。",
            result="已修复，住户认可。",
        ),
        dict(
            subject="fees",
            resp="3",
            kind="resident",
            capa=False,
            title="供热费计费面积有异议",
            description="住户认为供热费计费面积比房产证面积多出6平方米。",
            request="核实面积并退还多收费用。",
            plan="调取房产档案核实计费面积，如有误差予以更正并退费。",
            reply="经核实，计费面积按物价部门规定包含封闭阳台面积，已向住户出示文件依据。",
            result="住户认可计费依据。",
        ),
        dict(
            subject="service_quality",
            resp="1",
            kind="resident",
            capa=True,
            season="heating",
            complainants=12,
            customer="{community}12号楼居民代表 {person}",
            title="整栋楼供暖温度偏低",
            description="{community}12号楼多户居民联名反映，入冬以来室温普遍低于16℃。",
            request="查明原因，确保全楼供暖达标。",
            plan="主任牵头，分公司会同技术人员对换热站及楼内管网进行水力平衡调试，每日测温并公示。",
            reply="经检查系楼内管网水力失调，已完成平衡调试并加装平衡阀，抽测10户室温"
            "均达到18℃以上。",
            result="全楼室温达标，居民代表签字确认。",
        ),
        dict(
            subject="other",
            resp="1",
            kind="resident",
            capa=False,
            season="off",
            title="管网改造施工影响出行",
            description="住户反映{community}内管网改造施工占用道路，未设置警示标志，"
            "夜间存在安全隐患。",
            request="设置警示标志，尽快恢复路面。",
            plan="督促施工队设置围挡和警示灯，限期恢复路面。",
            reply="已设置围挡及夜间警示灯，路面已于本周恢复。",
            result="路面已恢复。",
        ),
        dict(
            subject="service_quality",
            resp="2",
            kind="resident",
            capa=False,
            season="off",
            title="夏季试压后暖气片渗水",
            description="{community}{building}住户反映管网试压后卧室暖气片接口渗水，地板受潮。",
            request="维修并赔偿地板损失。",
            plan="上门检查渗水原因，更换接口垫片；属开发商遗留问题的协调物业处理。",
            reply="经检查系开发商安装的暖气片接口老化，已免费更换垫片，"
            "地板损失已协调物业和开发商处理。",
            result="已修复，住户同意。",
        ),
    ),
    "AS": (
        dict(
            subject="product_quality",
            resp="2",
            kind="resident",
            capa=False,
            title="热量表显示故障",
            description="住户家中户用热量表屏幕无显示，担心计量不准影响收费。",
            request="免费更换或维修热量表。",
            plan="上门检查热量表，保修期内免费维修，故障期间热量按同期平均值核定。",
            reply="经检查系热量表电池故障，已免费更换电池并校验，故障期间热量按同期平均值核定。",
            result="热量表恢复正常。",
        ),
        dict(
            subject="service_quality",
            resp="1",
            kind="resident",
            capa=True,
            title="维修预约多次爽约",
            description="客户预约上门维修，售后人员两次未按约定时间到达，也未提前告知。",
            request="要求道歉并尽快维修。",
            plan="核查派工记录，向客户致歉并重新预约；完善预约提醒和迟到报备制度。",
            reply="已致电致歉，并于次日上午完成维修；部门已实行预约短信提醒和迟到报备制度。",
            result="已维修，客户接受。",
        ),
        dict(
            subject="product_quality",
            resp="2",
            kind="property",
            capa=True,
            title="温控阀批量失灵",
            description="{company}反映其管理小区安装的温控阀有{n}台无法调节。",
            request="查明原因并更换不合格产品。",
            plan="派技术人员现场抽查，联系生产厂家分析原因，对不合格批次全部更换。",
            reply="经现场抽查及厂家分析，系该批次阀芯密封圈不合格，已对同批次产品全部更换。",
            result="同批次产品已全部更换。",
        ),
        dict(
            subject="attitude",
            resp="1",
            kind="resident",
            capa=False,
            title="售后热线服务态度差",
            description="客户致电售后热线咨询保修政策，接线人员未能解答且语气不耐烦。",
            request="要求道歉并给予答复。",
            plan="调取通话录音核实，对接线人员进行业务和服务用语培训。",
            reply="已调取录音核实，向您致歉，并已组织接线人员进行保修政策和服务用语培训。",
            result="客户接受道歉。",
        ),
        dict(
            subject="fees",
            resp="1",
            kind="resident",
            capa=False,
            title="保修期内收取维修费",
            description="客户反映热量表仍在保修期内，上门维修却被收取了80元费用。",
            request="退还维修费。",
            plan="核查保修记录，确属保修期内的予以退费并致歉。",
            reply="经核查该表仍在保修期内，已退还维修费80元，并对收费人员进行了教育。",
            result="已退费。",
        ),
    ),
    "CS": (
        dict(
            subject="attitude",
            resp="1",
            kind="resident",
            capa=False,
            title="热线接听等待时间长",
            description="客户反映拨打客服热线多次排队等待超过10分钟仍无人接听。",
            request="改进热线服务。",
            plan="分析来电高峰时段，调整排班，高峰期增加坐席。",
            reply="已调整排班，供暖初期增加两个坐席，并开通网上报修渠道。",
            result="客户表示理解。",
        ),
        dict(
            subject="other",
            resp="1",
            kind="company",
            capa=True,
            title="投诉处理进度无人告知",
            description="客户反映一周前投诉后未收到任何处理进度反馈。",
            request="告知处理进度。",
            plan="查明流转情况，立即告知客户进度，建立进度回告制度。",
            reply="已向客户通报处理进度并致歉，客服中心已建立投诉进度回告制度。",
            result="客户认可。",
        ),
    ),
}
#: Where complaints go, and how often.
DEPARTMENT_WEIGHTS = (("HEAT", 35), ("TEST", 20), ("MET", 20), ("AS", 18), ("CS", 7))

MAJOR_FACTS = (
    ("media", "本地电视台民生栏目对此事进行了报道。"),
    ("major_impact", "客户为市重点工程项目，其总经理亲自来函投诉，影响单位声誉。"),
)
REJECTIONS = (
    "客户不接受处理结果，认为问题未根本解决，要求重新处理。",
    "客户对答复有异议，要求由第三方机构重新检测。",
    "客户反映维修后问题复现，要求再次上门处理。",
    "客户认为答复未说明原因，要求书面解释并追究责任。",
)
ROOT_CAUSES = {
    "technical": "证书/报告审核环节未严格执行双人复核，录入错误未被发现。",
    "attitude": "员工服务规范培训不到位，服务质量未纳入考核。",
    "service_quality": "报修派单流程存在断点，维修任务未及时流转到班组。",
    "delivery": "任务排程未考虑设备停机，未建立延期预警。",
    "fees": "收费单据未逐项列明，收费标准公示不清。",
    "product_quality": "供方来料检验抽样不足，不合格批次流入现场。",
    "other": "投诉进度回告要求未明确到岗位。",
}
DELAY_REASONS = (
    "供暖高峰期抢修任务集中，人员不足。",
    "需等待厂家技术人员到场分析原因。",
    "当事人休假，需待其返岗核实情况。",
    "需调取外单位资料，对方尚未提供。",
)
REVISIT_FEEDBACK = (
    ("satisfied", "对处理结果满意，感谢及时处理。"),
    ("satisfied", "问题已解决，工作人员态度很好。"),
    ("basically", "基本满意，但处理时间稍长，希望今后更快一些。"),
    ("satisfied", "已恢复正常，满意。"),
    ("basically", "问题已解决，希望加强事前沟通。"),
    ("dissatisfied", "问题虽已处理，但对处理过程不满意，沟通不及时。"),
)

INQUIRIES = (
    (
        "MET",
        "inquiry",
        "压力表检定周期咨询",
        "询问工业用压力表的检定周期及送检需带的资料。",
        "工业用压力表检定周期一般不超过6个月，送检请携带委托单及上次检定证书。",
    ),
    (
        "MET",
        "quick_project",
        "电子汽车衡加急检定",
        "生产线验收在即，询问能否三天内完成电子汽车衡现场检定。",
        "可以安排加急检定，已预约后天上午到现场，加急费按标准收取。",
    ),
    (
        "MET",
        "potential_project",
        "园区计量器具整体委托检定意向",
        "工业园区管委会有意将园区企业的计量器具统一委托检定，询问合作方式。",
        "已将合作意向转技术负责人，将于下周上门洽谈具体方案。",
    ),
    (
        "TEST",
        "inquiry",
        "建材检测项目及收费咨询",
        "询问防水卷材的检测项目、周期和收费。",
        "防水卷材常规项目检测周期7个工作日，收费标准已通过邮件发送。",
    ),
    (
        "TEST",
        "inquiry",
        "水质检测采样要求咨询",
        "询问饮用水检测的采样容器和保存要求。",
        "请使用本所提供的专用采样瓶，采样后4小时内送达，采样须知已发送。",
    ),
    (
        "TEST",
        "quick_project",
        "室内空气检测预约",
        "新装修办公室需要检测甲醛，询问最快检测时间。",
        "已预约本周四上午现场采样，报告3个工作日出具。",
    ),
    (
        "HEAT",
        "inquiry",
        "供热开栓时间咨询",
        "询问今年供热开栓时间及室温标准。",
        "今年11月15日正式供热，室温标准不低于18℃。",
    ),
    (
        "HEAT",
        "inquiry",
        "报停供热办理流程",
        "房屋长期无人居住，询问报停供热的手续。",
        "携带房产证和身份证到营业厅办理，报停期间按规定收取基础热费。",
    ),
    (
        "HEAT",
        "potential_project",
        "新建小区供热接入咨询",
        "开发商咨询新建小区接入市政供热管网的流程和费用。",
        "已提供接入申请材料清单，由工程部安排现场踏勘。",
    ),
    (
        "AS",
        "inquiry",
        "热量表保修期咨询",
        "询问户用热量表的保修期限和保修范围。",
        "户用热量表保修期为两个供暖期，人为损坏除外。",
    ),
    (
        "AS",
        "quick_project",
        "温控阀安装预约",
        "客户想为家中暖气加装温控阀，询问费用和预约方式。",
        "温控阀安装每组收费150元（含材料），已预约周六上午上门。",
    ),
    (
        "CS",
        "inquiry",
        "网上报修渠道咨询",
        "询问是否可以通过手机报修。",
        "可以通过微信公众号“在线报修”栏目报修，24小时受理。",
    ),
)

SERVICES = {
    "HEAT": (
        ("repair", "暖气片漏水", "更换暖气片接口垫片并试压，无渗漏。", "0"),
        ("repair", "户内供暖阀门损坏", "更换入户球阀一只，恢复供暖。", "60元"),
        ("maintenance", "入户过滤器堵塞，室温偏低", "拆洗入户过滤器并排气，复测室温19℃。", "0"),
        ("paid", "暖气片清洗", "清洗暖气片6组，恢复散热。", "180元"),
        ("installation", "户内暖气改造", "移位暖气片2组并试压合格。", "420元"),
    ),
    "AS": (
        ("repair", "热量表不显示", "更换热量表电池并校验，显示正常。", "0"),
        ("installation", "加装温控阀", "安装温控阀3组，调试正常。", "450元"),
        ("repair", "温控阀无法调节", "更换温控阀阀芯，调节正常。", "0"),
        ("maintenance", "热量表年度巡检", "检查热量表运行状态并读取数据，运行正常。", "0"),
    ),
}
ON_SITE = {
    "MET": (
        "现场检定加油机{n}台",
        "现场校准电子汽车衡",
        "现场检定医用压力表{n}只",
        "现场校准恒温恒湿试验箱",
    ),
    "TEST": (
        "现场采样检测锅炉用水",
        "现场检测室内空气质量",
        "现场抽取混凝土试块{n}组",
        "现场检测管道焊缝",
    ),
}
SURVEY_OPINIONS = (
    "服务及时，专业。",
    "检定人员认真负责。",
    "希望提前告知到场时间。",
    "现场工作规范，满意。",
    "报告出具再快一些更好。",
)
QUESTIONNAIRE_OPINIONS = (
    "希望开通报告在线查询。",
    "总体满意，收费可以更透明一些。",
    "供暖期报修电话有时打不通。",
    "服务态度很好，继续保持。",
    "希望缩短检测周期。",
    "",
)
NONCONFORMITIES = (
    (
        "TEST",
        "检测原始记录未经复核即出具报告",
        "水质检测报告出具流程",
        "内部审核抽查发现3份检测报告的原始记录无复核人签字。",
        "serious",
        "暂停相关报告发放，补做复核，复核结果与原报告一致。",
        "报告出具前未按程序核查复核签字。",
    ),
    (
        "MET",
        "标准器超期未检定仍在使用",
        "压力标准器管理",
        "一台精密压力表标准器检定有效期已过5天仍在使用。",
        "serious",
        "立即停用该标准器，追溯期间出具的12份证书并复核。",
        "标准器到期提醒未落实到人。",
    ),
    (
        "HEAT",
        "换热站巡检记录缺失",
        "换热站运行巡检",
        "3号换热站连续两天夜班巡检记录缺失。",
        "minor",
        "补充核实巡检情况，对当班人员进行教育。",
        "夜班人员对巡检记录要求不清楚。",
    ),
    (
        "AS",
        "热量表入库检验漏检",
        "热量表入库检验",
        "一批200台热量表入库时未按抽样方案检验即发放安装。",
        "serious",
        "对已发放的热量表抽样补检，未发现不合格。",
        "库管员对入库检验程序不熟悉。",
    ),
    (
        "TEST",
        "样品标识不清",
        "样品管理",
        "样品室两份土壤样品标签字迹模糊，无法辨认编号。",
        "minor",
        "与委托单核对后重新标识。",
        "标签材质不耐潮。",
    ),
    (
        "MET",
        "环境温湿度超出规程要求",
        "检定实验室环境控制",
        "检定天平时实验室湿度达75%，超出规程要求的70%，未暂停检定。",
        "minor",
        "对该时段检定的天平重新检定。",
        "除湿机故障未及时报修。",
    ),
)
FEEDBACK = (
    ("户用热量表", "DN20 超声波", "流量传感器报警，显示E3故障码", "市场部 钱进"),
    ("温控阀", "TRV-15", "阀芯卡滞，无法调节温度", "销售部 冯莉"),
    ("智能水表", "LXSY-20E", "远传通讯模块频繁掉线", "市场部 钱进"),
    ("平衡阀", "DN50", "阀门关闭不严，内漏", "销售部 冯莉"),
)
HANDOVER_EVENTS = (
    "各换热站运行正常，一次网供水温度85℃，回水温度50℃。",
    "受理报修电话{n}起，均已派单，其中{m}起已处理完毕。",
    "{community}换热站补水泵切换运行，运行正常。",
    "巡检{n}个换热站，未发现异常。",
)
HANDOVER_SERIOUS = (
    "{community}主管道爆裂，已通知抢修队，关阀停热，预计4小时恢复。",
    "2号换热站循环泵跳闸，已切换备用泵，通知设备科检修。",
    "{community}{building}单元立管漏水，已关闭单元阀门，通知住户。",
)
PROCEDURES = (
    ("QP-07", "不符合工作控制程序", "规定不符合工作的识别、评价、处置和纠正措施的实施要求。"),
    (
        "QP-08",
        "客户服务和投诉处理程序",
        "规定顾客投诉的受理、分类、派单、处理、答复、回访和关闭要求，以及催办和考核办法。",
    ),
    ("QP-09", "记录管理程序", "规定记录的标识、贮存、保护、检索、保存期限和处置。"),
    ("QP-10", "内部质量审核程序", "规定内部质量审核的策划、实施、报告和跟踪验证。"),
    ("QP-11", "管理评审程序", "规定管理评审的输入、输出和实施要求。"),
    ("QP-12", "顾客满意度测量程序", "规定顾客满意度调查的方法、评分和统计分析要求。"),
)
SUBJECT_NAMES = {
    "technical": "技术类（报告/证书）",
    "attitude": "服务态度",
    "service_quality": "服务质量",
    "fees": "收费",
    "product_quality": "产品质量",
    "delivery": "交付",
    "other": "其他",
}
SEVERITY_NAMES = {"major": "重大", "hot": "热点", "important": "重要", "general": "一般"}
QUESTIONNAIRE_LEVELS = (
    "very_satisfied",
    "satisfied",
    "fairly_satisfied",
    "neutral",
    "somewhat_dissatisfied",
    "dissatisfied",
    "very_dissatisfied",
)


def is_heating_season(day: date) -> bool:
    """15 November to 15 March, as the heating company runs it."""
    return (day.month, day.day) >= (11, 15) or (day.month, day.day) <= (3, 15)
