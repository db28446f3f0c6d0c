"""A demo organisation, so a new user meets a living portal (``portal demo``).

:func:`load_demo` creates the departments of a metering and heating service
centre, users of every role with Chinese names (all with one password), and a
few hundred records in every form, in every state of their workflows.

Every record is written through :mod:`records.operations` and the
:mod:`records.worklists` helpers, by the person whose step it is: the
document controller registers and dispatches, the handling department plans
and replies, the director signs the plans of major complaints (signatures
check the real password), the quality manager verifies corrective actions.

The demo plays the last ten months: each step runs on a simulated clock set
to the moment it happens, in time order, so versions, signatures, audit
entries, deadlines and record numbers are dated as if the organisation had
used the portal since then. Steps that would fall after the present are not
taken, which leaves the recent records in progress. Complaints left
unresolved are escalated at the end, on the real clock. Everything is
deterministic for a given seed and day.
"""

from __future__ import annotations

import contextlib
import dataclasses
import heapq
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable, Generator
from datetime import date, datetime, timedelta
from datetime import time as clock_time

import records.attachments  # noqa: F401 - imported so the simulated clock reaches it
import records.retention  # noqa: F401
import records.settings  # noqa: F401
from portal import accounts
from portal.actors import actor_for
from portal.models import Department, User
from records import clock
from records.access import Actor
from records.calendar import WorkingCalendar, seed_from_package
from records.complaints import REVISIT_ALL, higher, time_severity
from records.escalation import escalate
from records.operations import create_record, revise_record, transition_record
from records.store import database
from records.types import registry
from records.worklists import issue_reminder, open_capa

DEFAULT_COMPLAINTS = 100
DEFAULT_SEED = 2026
#: How far back the demo's history reaches.
HISTORY_DAYS = 300


class DemoRefused(Exception):
    """The demo was not loaded; ``str()`` says why (nothing was written)."""


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


# --- the simulated clock ------------------------------------------------------


@contextlib.contextmanager
def _simulated_clock():
    """Make the records layer read the time from the demo's clock.

    Yields a dict whose ``"now"`` (UTC, naive) is the moment; None means the
    real clock. Restored on exit."""
    moment: dict = {"now": None}
    with clock.simulated(lambda: moment["now"]):
        yield moment


Story = Generator[datetime, None, object]


class _Scheduler:
    """Runs stories (generators) in time order on the simulated clock.

    A story takes its steps when resumed and yields the local moment of its
    next step; steps after ``end`` are not taken."""

    def __init__(self, moment: dict, end: datetime):
        self.moment = moment
        self.end = end
        self.now = end
        self._heap: list = []
        self._order = itertools.count()

    def spawn(self, at: datetime, story: Story) -> None:
        heapq.heappush(self._heap, (at, next(self._order), story))

    def run(self) -> None:
        while self._heap:
            at, _order, story = heapq.heappop(self._heap)
            if at > self.end:
                story.close()
                continue
            self.now = at
            self.moment["now"] = clock.from_local(at)
            try:
                following = next(story)
            except StopIteration:
                continue
            self.spawn(max(following, at), story)
        self.moment["now"] = None


def _signer(user: User, password: str) -> Actor:
    """The user's actor, checking the password once (argon2 takes ~0.1 s)."""
    actor = actor_for(user)
    check = actor.verify_password
    confirmed: dict[str, bool] = {}

    def verify(given: str) -> bool:
        if given not in confirmed:
            confirmed[given] = bool(check(given))
        return confirmed[given]

    return dataclasses.replace(actor, verify_password=verify)


# --- the demo -----------------------------------------------------------------


class _Demo:
    """What the stories share: people, clock, random numbers and the steps."""

    def __init__(
        self,
        rng: random.Random,
        password: str,
        users: dict[str, User],
        scheduler: _Scheduler,
        calendar: WorkingCalendar,
    ):
        self.rng = rng
        self.password = password
        self.scheduler = scheduler
        self.calendar = calendar
        self.actors = {name: _signer(user, password) for name, user in users.items()}
        self.staff = {}
        for spec in USERS:
            if "staff" in spec.roles:
                self.staff.setdefault(spec.department, []).append(spec.username)
        self.escalated = 0

    # time

    @property
    def now(self) -> datetime:
        return self.scheduler.now

    @property
    def today(self) -> date:
        return self.now.date()

    def office(self, moment: datetime) -> datetime:
        """``moment``, or the next office hour (8:30-17:30 on working days)."""
        moment = moment.replace(second=0, microsecond=0)
        while True:
            if self.calendar.is_working(moment.date()):
                opens = datetime.combine(moment.date(), clock_time(8, 30))
                if moment < opens:
                    return opens + timedelta(minutes=self.rng.randint(0, 50))
                if moment <= datetime.combine(moment.date(), clock_time(17, 30)):
                    return moment
            moment = datetime.combine(moment.date() + timedelta(days=1), clock_time(0))

    def hours(self, low: float, high: float) -> datetime:
        """Some office time from now."""
        return self.office(
            self.now + timedelta(minutes=self.rng.randint(int(low * 60), int(high * 60)))
        )

    def days(self, low: float, high: float) -> datetime:
        return self.office(
            self.now + timedelta(minutes=self.rng.randint(int(low * 1440), int(high * 1440)))
        )

    def working_days_ago(self, days: int, end: datetime) -> datetime:
        """Office time on the ``days``-th working day before ``end``'s day."""
        day = end.date()
        while days:
            day -= timedelta(days=1)
            if self.calendar.is_working(day):
                days -= 1
        return datetime.combine(day, clock_time(9, self.rng.randint(0, 59)))

    def local(self, moment: datetime) -> datetime:
        return clock.to_local(moment)

    # people

    def actor(self, username: str) -> Actor:
        return self.actors[username]

    def controller(self) -> str:
        return self.rng.choice(CONTROLLERS)

    def handler(self, department: str) -> str:
        return self.rng.choice(self.staff[department])

    def name(self, username: str) -> str:
        return self.actors[username].full_name

    # steps

    def create(self, who: str, type_name: str, data: dict, department: str | None = None) -> str:
        return create_record(self.actor(who), type_name, data, department=department).number

    def step(self, who: str, number: str, name: str, comment: str | None = None, **changes) -> None:
        transition_record(
            self.actor(who),
            number,
            name,
            comment=comment,
            password=self.password,
            changes=changes or None,
        )

    def revise(self, who: str, number: str, changes: dict, reason: str) -> None:
        doc = self.doc(number)
        revise_record(self.actor(who), number, changes, base_version=doc["version"], reason=reason)

    def doc(self, number: str) -> dict:
        return database().records.find_one({"number": number})

    # values

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(("先生", "女士"))

    def phone(self) -> str:
        rng = self.rng
        return f"1{rng.choice('3589')}{rng.randint(0, 9)}****{rng.randint(0, 9999):04d}"

    def address(self, community: str | None = None) -> tuple[str, str, str]:
        community = community or self.rng.choice(COMMUNITIES)
        building = f"{self.rng.randint(1, 24)}号楼{self.rng.randint(1, 4)}单元"
        room = f"{self.rng.randint(1, 18)}{self.rng.randint(1, 4):02d}"
        return community, building, f"滨江区{community}{building}{room}室"

    def customer(self, kind: str) -> dict:
        """Customer, contact and address of a complaint or a service."""
        if kind == "resident":
            community, building, address = self.address()
            person = self.person()
            return {
                "customer": f"{community}住户 {person}",
                "contact": f"{person} {self.phone()}",
                "address": address,
                "community": community,
                "building": building,
                "person": person,
            }
        company = self.rng.choice(PROPERTY_COMPANIES if kind == "property" else COMPANIES)
        person = self.rng.choice(SURNAMES) + self.rng.choice(CONTACT_TITLES)
        community, building, _address = self.address()
        return {
            "customer": company,
            "contact": f"{person} {self.phone()}",
            "address": f"高新区{self.rng.choice(('科技', '创业', '长江', '黄河'))}路"
            f"{self.rng.randint(1, 300)}号",
            "community": community,
            "building": building,
            "company": company,
        }


@dataclasses.dataclass
class _Complaint:
    received: datetime
    fate: str = "normal"
    department: str = ""
    template: dict = dataclasses.field(default_factory=dict)
    receiver: str = ""
    handler: str = ""
    channel: str = "hotline"
    major: tuple[str, str] | None = None
    #: The state the story stops in (None: as far as time allows).
    stop: str | None = None


def _fill(text: str, values: dict) -> str:
    return text.format(**values)


def _complaint_data(demo: _Demo, spec: _Complaint) -> dict:
    template = spec.template
    people = demo.customer(template["kind"])
    values = {
        **people,
        "serial": f"{demo.rng.randint(100000, 999999)}",
        "report": f"JC{spec.received:%Y}-{demo.rng.randint(1000, 9999)}",
        "n": demo.rng.randint(3, 12),
    }
    description = _fill(template["description"], values)
    data = {
        "title": template["title"],
        "received_at": spec.received.isoformat(timespec="minutes"),
        "channel": spec.channel,
        "customer": _fill(template.get("customer", "{customer}"), values),
        "contact": people["contact"],
        "address": people["address"],
        "description": description,
        "customer_request": template["request"],
        "complainants": template.get("complainants", 1),
        "urgent": bool(template.get("urgent")),
    }
    if spec.major:
        flag, text = spec.major
        data[flag] = True
        data["description"] = f"{description}{text}"
    if spec.fate == "lowered":
        data["complainants"] = 3
    return data


def complaint_story(demo: _Demo, spec: _Complaint) -> Story:
    """One complaint from receipt to closure, as far as its fate and time go."""
    data = _complaint_data(demo, spec)
    number = demo.create(spec.receiver, "complaint_sheet", data)
    if spec.fate == "void":
        yield demo.hours(0.5, 3)
        demo.step(
            demo.controller(),
            number,
            "void",
            comment="客户来电说明与前一日投诉为同一事项，重复登记，作废。",
        )
        return
    if spec.stop == "received":
        return
    yield demo.hours(0.1, 0.5) if data["urgent"] else demo.hours(0.3, 3)
    yield from handle_complaint(demo, spec, number)


def _approver_for(demo: _Demo, number: str) -> str:
    """The director for plans that will be major when approved, else either."""
    doc = demo.doc(number)
    data = doc["data"]
    by_time, _since = time_severity(
        datetime.fromisoformat(data["received_at"]), clock.from_local(demo.now), demo.calendar
    )
    if higher(data.get("severity"), data.get("suggested_severity"), by_time) == "major":
        return DIRECTOR
    return demo.rng.choice((DIRECTOR, TECHNICAL_MANAGER, TECHNICAL_MANAGER))


def handle_complaint(demo: _Demo, spec: _Complaint, number: str, reopened: bool = False) -> Story:
    rng = demo.rng
    template = spec.template
    dispatch = {
        "department": spec.department,
        "handler": spec.handler,
        "subject": template["subject"],
        "responsibility": template["resp"],
    }
    if spec.fate == "lowered":
        dispatch.update(
            severity="important",
            severity_reason="三位投诉人为同一户的家庭成员，实为同一诉求，按重要投诉处理。",
        )
    controller = demo.controller()
    if spec.fate == "redispatch" and not reopened:
        # First sent to the heating company, which finds it is the meter's fault.
        demo.step(
            controller,
            number,
            "dispatch",
            **{**dispatch, "department": "HEAT", "handler": demo.handler("HEAT")},
        )
        yield demo.hours(1, 4)
        demo.step(
            controller,
            number,
            "redispatch",
            comment=f"经供热分公司核实系热量表故障，属{dict(DEPARTMENTS)[spec.department]}"
            "职责范围，改派。",
            department=spec.department,
            handler=spec.handler,
        )
    else:
        demo.step(controller, number, "dispatch", **dispatch)
    handler = spec.handler
    if spec.stop == "dispatched":
        return
    department = demo.doc(number)["department"]
    if spec.fate.startswith("stalled"):
        due = demo.local(demo.doc(number)["due_at"])
        yield demo.office(due + timedelta(hours=9, minutes=rng.randint(0, 120)))
        reminder = issue_reminder(
            demo.actor(controller),
            number,
            f"{number}（{template['title']}）的处理方案已逾期，请于两个工作日内提交，"
            "逾期将纳入月度考核。",
        )["number"]
        if spec.fate == "stalled_unanswered":
            return
        yield demo.hours(2, 20)
        promised = demo.today + timedelta(days=rng.randint(2, 5))
        demo.step(
            handler,
            reminder,
            "answer",
            delay_reason=rng.choice(DELAY_REASONS),
            new_date=promised.isoformat(),
        )
        if spec.fate == "stalled_open":
            return
        yield demo.office(datetime.combine(promised, clock_time(10)))
    else:
        yield demo.hours(1, 12)
    demo.step(handler, number, "submit_plan", plan=template["plan"])
    if spec.stop == "plan_submitted":
        return
    yield demo.hours(0.5, 6)
    if spec.fate == "returned":
        demo.step(
            _approver_for(demo, number),
            number,
            "return_plan",
            comment="方案未明确整改责任人和完成时限，请补充后重新提交。",
        )
        yield demo.hours(2, 16)
        demo.step(
            handler,
            number,
            "submit_plan",
            plan=f"{template['plan']}责任人：{demo.name(handler)}；"
            f"完成时限：{(demo.today + timedelta(days=3)).isoformat()}。",
        )
        yield demo.hours(0.5, 5)
    demo.step(_approver_for(demo, number), number, "approve_plan")
    if spec.stop == "approved":
        return
    yield demo.hours(2, 20)
    capa = spec.fate in ("capa_not_effective", "capa_overdue") or (
        template["capa"] and not reopened and spec.fate != "rejected" and rng.random() < 0.6
    )
    method = (
        rng.choice(("phone", "phone", "email", "letter", "fax"))
        if template["kind"] != "resident"
        else rng.choice(("phone", "phone", "phone", "letter"))
    )
    demo.step(
        handler,
        number,
        "reply",
        reply_method=method,
        reply_date=demo.today.isoformat(),
        reply_content=template["reply"],
        capa_required=capa,
    )
    if spec.stop == "replied":
        return
    yield demo.days(1, 3)
    if spec.fate in ("rejected", "rejected_open") and not reopened:
        demo.step(demo.controller(), number, "reject", comment=rng.choice(REJECTIONS))
        new_number = demo.doc(number)["data"]["reopened_as"]
        again = dataclasses.replace(
            spec,
            fate="normal",
            handler=demo.handler(department),
            stop="plan_submitted" if spec.fate == "rejected_open" else None,
        )
        demo.scheduler.spawn(
            demo.hours(0.5, 3), handle_complaint(demo, again, new_number, reopened=True)
        )
        return
    demo.step(demo.controller(), number, "accept")
    if capa:
        yield demo.hours(2, 24)
        opener = rng.choice((*CONTROLLERS, QUALITY_MANAGER))
        planned = demo.today + timedelta(days=rng.randint(10, 25))
        capa_number = open_capa(demo.actor(opener), number, planned)["number"]
        verified = yield from capa_story(
            demo,
            capa_number,
            handler,
            template["subject"],
            "not_effective"
            if spec.fate == "capa_not_effective"
            else "overdue"
            if spec.fate == "capa_overdue"
            else "normal",
        )
        if not verified:
            return
    yield demo.days(1, 4)
    severity = demo.doc(number)["data"].get("severity")
    # Every important, hot or major complaint is revisited, most general ones too.
    if severity in REVISIT_ALL or rng.random() < 0.8:
        revisit(demo, number, in_person=severity == "major" or rng.random() < 0.2)
        yield demo.hours(1, 24)
    demo.step(demo.controller(), number, "close", result=template["result"])


def revisit(demo: _Demo, number: str, in_person: bool) -> None:
    doc = demo.doc(number)
    visitor = demo.controller()
    satisfaction, feedback = demo.rng.choice(REVISIT_FEEDBACK)
    demo.create(
        visitor,
        "revisit_record",
        {
            "customer": doc["data"]["customer"],
            "contact": doc["data"].get("contact"),
            "complaint": number,
            "service": f"投诉处理回访：{doc['data']['title']}",
            "revisit_date": demo.today.isoformat(),
            "method": "visit" if in_person else "phone",
            "visitor": demo.name(visitor)
            if not in_person
            else f"{demo.name(visitor)}、{demo.name(demo.handler(doc['department']))}",
            "feedback": feedback,
            "satisfaction": satisfaction,
        },
    )


def capa_story(
    demo: _Demo, number: str, responsible: str, subject: str, fate: str
) -> Generator[datetime, None, bool]:
    """A corrective action until verified effective; answers whether it was."""
    rng = demo.rng
    yield demo.hours(2, 30)
    demo.revise(responsible, number, {"root_cause": ROOT_CAUSES[subject]}, reason="补充原因分析")
    planned = date.fromisoformat(demo.doc(number)["data"]["planned_date"])
    if fate == "overdue":
        yield demo.office(datetime.combine(planned + timedelta(days=2), clock_time(9)))
        issue_reminder(
            demo.actor(demo.controller()),
            number,
            f"纠正措施{number}已超过计划完成日期，请说明原因并确定新的完成日期。",
        )
        return False
    rounds = 2 if fate == "not_effective" else 1
    for round_ in range(1, rounds + 1):
        yield demo.office(
            datetime.combine(planned - timedelta(days=rng.randint(0, 6)), clock_time(14))
        )
        actions = demo.doc(number)["data"]["actions"]
        done = (
            "已修订作业指导书并组织相关人员培训，培训记录已存档。"
            if round_ == 1
            else "已增加班组长每日抽查，并将抽查结果纳入月度考核。"
        )
        demo.step(
            responsible,
            number,
            "complete",
            completed_date=demo.today.isoformat(),
            actions=f"{actions}\n{done}",
        )
        day, _uncovered = demo.calendar.add_working_days(demo.today, rng.randint(1, 4))
        yield demo.office(datetime.combine(day, clock_time(10)))
        if round_ < rounds:
            planned = demo.today + timedelta(days=rng.randint(7, 14))
            demo.step(
                QUALITY_MANAGER,
                number,
                "not_effective",
                comment="验证未通过，需再次采取措施。",
                verification="抽查近一个月相关记录20份，仍有2份存在同类问题，措施未有效落实。",
                planned_date=planned.isoformat(),
            )
        else:
            demo.step(
                QUALITY_MANAGER,
                number,
                "verify",
                verification="抽查近一个月相关记录20份，未再发现同类问题，措施有效。",
            )
    return True


# --- the other forms ------------------------------------------------------------


def inquiry_story(demo: _Demo, received: datetime, entry: tuple, fate: str) -> Story:
    department, kind, title, request, answer = entry
    rng = demo.rng
    people = demo.customer("resident" if department in ("HEAT", "AS", "CS") else "company")
    handler = demo.handler(department)
    urgent = kind == "quick_project" and rng.random() < 0.6
    # The hotline operator (staff of the service centre) files inquiries that
    # the centre answers; those for another department go through a controller.
    by_operator = rng.random() >= 0.7 and department == "CS"
    creator = "zhengyu" if by_operator else demo.controller()
    number = demo.create(
        creator,
        "inquiry_sheet",
        {
            "title": title,
            "received_at": received.isoformat(timespec="minutes"),
            "channel": rng.choice(("hotline", "hotline", "online", "email", "visit")),
            "kind": kind,
            "customer": people["customer"],
            "contact": people["contact"],
            "request": request,
            "urgent": urgent,
            "department": department,
            "handler": handler,
        },
    )
    if fate == "void":
        yield demo.hours(0.5, 2)
        demo.step(demo.controller(), number, "void", comment="客户来电撤回咨询。")
        return
    if fate == "open":
        return
    if fate == "overdue":
        yield demo.office(received + timedelta(days=2))
        issue_reminder(
            demo.actor(demo.controller()),
            number,
            f"咨询单{number}已超过24小时未答复，请尽快答复客户。",
        )
        return
    yield demo.hours(0.3, 2.5) if urgent else demo.hours(1, 16)
    demo.step(
        handler, number, "answer", answer=answer, answered_at=demo.now.isoformat(timespec="minutes")
    )


def service_sheet_story(demo: _Demo, moment: datetime, department: str, fate: str) -> Story:
    rng = demo.rng
    kind, problem, work, fee = rng.choice(SERVICES[department])
    technician = demo.handler(department)
    person = demo.person()
    community, _building, address = demo.address()
    number = demo.create(
        technician,
        "customer_service_sheet",
        {
            "customer": f"{community}住户 {person}",
            "contact": f"{person} {demo.phone()}",
            "address": address,
            "service_date": moment.date().isoformat(),
            "service_kind": kind,
            "description": problem,
            "fee": fee,
            "technician": demo.name(technician),
        },
    )
    if fate == "void":
        yield demo.hours(1, 4)
        demo.step(demo.controller(), number, "void", comment="客户取消预约，服务单作废。")
        return
    if fate == "open":
        return
    if fate == "overdue":
        yield demo.office(moment + timedelta(days=17))
        reminder = issue_reminder(
            demo.actor(demo.controller()),
            number,
            f"客户服务单{number}已超过半个月未交回，请尽快交回客服中心。",
        )
        yield demo.hours(2, 24)
        demo.step(
            technician,
            reminder["number"],
            "answer",
            delay_reason="客户外出，签字联尚未取回。",
            new_date=(demo.today + timedelta(days=rng.randint(2, 4))).isoformat(),
        )
        return
    yield demo.days(1, 12)
    demo.step(
        technician,
        number,
        "return",
        work_done=work,
        customer_signed=True,
        returned_on=demo.today.isoformat(),
    )
    if rng.random() < 0.35:
        yield demo.days(1, 5)
        satisfaction, feedback = rng.choice(REVISIT_FEEDBACK[:5])
        visitor = demo.controller()
        demo.create(
            visitor,
            "revisit_record",
            {
                "customer": f"{community}住户 {person}",
                "service": f"上门服务回访：{problem}",
                "revisit_date": demo.today.isoformat(),
                "method": "phone",
                "visitor": demo.name(visitor),
                "feedback": feedback,
                "satisfaction": satisfaction,
            },
        )


def survey_story(demo: _Demo, moment: datetime, department: str, fate: str) -> Story:
    rng = demo.rng
    staff = demo.handler(department)
    company = rng.choice(COMPANIES)
    content = rng.choice(ON_SITE[department]).format(n=rng.randint(2, 8))
    number = demo.create(
        staff,
        "service_survey",
        {
            "customer": company,
            "contact": f"{rng.choice(SURNAMES)}{rng.choice(CONTACT_TITLES)} {demo.phone()}",
            "service_date": moment.date().isoformat(),
            "service_content": content,
        },
    )
    if fate != "returned":
        return
    day, _uncovered = demo.calendar.add_working_days(moment.date(), rng.randint(2, 12))
    yield demo.office(datetime.combine(day, clock_time(10)))
    rating = ("satisfied", "satisfied", "satisfied", "basically")
    demo.step(
        staff,
        number,
        "return",
        returned_on=demo.today.isoformat(),
        customer_signed=True,
        attitude=rng.choice(rating),
        timeliness=rng.choice((*rating, "dissatisfied")),
        quality=rng.choice(rating),
        opinion=rng.choice(SURVEY_OPINIONS),
    )


def questionnaire_story(demo: _Demo, moment: datetime, year: int, fate: str) -> Story:
    from records.scoring import ITEM_FIELDS

    rng = demo.rng
    kind = rng.choice(("company", "company", "property", "resident"))
    people = demo.customer(kind)
    unhappy = rng.random() < 0.12
    weights = (1, 2, 3, 4, 6, 4, 3) if unhappy else (30, 40, 15, 8, 4, 2, 1)
    items = {name: rng.choices(QUESTIONNAIRE_LEVELS, weights)[0] for name in ITEM_FIELDS}
    if fate == "open":
        items = dict(list(items.items())[: rng.randint(5, 10)])
    verified = rng.choice((0, 0, 0, 0, 1, 1, 2)) if not unhappy else rng.randint(1, 3)
    serious = rng.randint(0, verified)
    creator = demo.controller() if rng.random() < 0.7 else "zhengyu"
    number = demo.create(
        creator,
        "satisfaction_questionnaire",
        {
            "customer": people["customer"],
            "contact": people["contact"],
            "survey_year": year,
            **items,
            "verified_complaints": verified,
            "serious_complaints": serious,
            "opinion": rng.choice(QUESTIONNAIRE_OPINIONS) or None,
        },
    )
    if fate == "open":
        return
    yield demo.hours(1, 30)
    demo.step(creator, number, "file")


def analysis_story(demo: _Demo, start: date, end: date, title: str, approve: bool) -> Story:
    db = database()
    complaints = list(
        db.records.find(
            {
                "type": "complaint_sheet",
                "data.received_at": {
                    "$gte": start.isoformat(),
                    "$lt": (end + timedelta(days=1)).isoformat(),
                },
            },
            {"state": 1, "data.severity": 1, "data.subject": 1},
        )
    )
    closed = sum(1 for c in complaints if c["state"] == "closed")
    severities = Counter(c["data"].get("severity") for c in complaints)
    subjects = Counter(c["data"].get("subject") for c in complaints if c["data"].get("subject"))
    query = {
        "type": "satisfaction_questionnaire",
        "state": "filed",
        "created_at": {
            "$gte": clock.from_local(datetime.combine(start, clock_time(0))),
            "$lt": clock.from_local(datetime.combine(end + timedelta(days=1), clock_time(0))),
        },
    }
    scores = [float(q["data"]["score"]) for q in db.records.find(query, {"data.score": 1})]
    satisfied = sum(1 for s in scores if s >= 70)
    top = "、".join(f"{SUBJECT_NAMES[s]}{n}件" for s, n in subjects.most_common(3)) or "无"
    severity_text = "，".join(
        f"{SEVERITY_NAMES[s]}{severities[s]}件"
        for s in ("major", "hot", "important", "general")
        if severities[s]
    )
    number = demo.create(
        demo.controller(),
        "satisfaction_analysis",
        {
            "title": title,
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "questionnaires": len(scores),
            "average_score": f"{sum(scores) / len(scores):.1f}" if scores else None,
            "satisfied_rate": f"{100 * satisfied / len(scores):.1f}%" if scores else None,
            "complaints_summary": f"本期共受理顾客投诉{len(complaints)}件，已关闭{closed}件"
            f"（{severity_text or '无'}）。",
            "analysis": f"投诉主要集中在{top}。供暖期报修量大，派单和上门时效是影响满意度的主要"
            "因素；技术类投诉多与报告、证书审核把关不严有关。",
            "improvements": "1. 加强报告、证书双人复核；2. 供暖期增加客服坐席和抢修人员；"
            "3. 落实投诉进度回告制度；4. 对重复投诉开展专项分析。",
        },
    )
    if not approve:
        return
    yield demo.days(2, 6)
    demo.step(demo.rng.choice((DIRECTOR, QUALITY_MANAGER)), number, "approve")


def nonconformity_story(demo: _Demo, found: datetime, entry: tuple, fate: str) -> Story:
    department, title, item, description, grade, disposition, cause = entry
    rng = demo.rng
    internal_audit = rng.random() < 0.4
    creator = demo.controller() if internal_audit else demo.handler(department)
    number = demo.create(
        creator,
        "nonconformity_report",
        {
            "title": title,
            "found_on": found.date().isoformat(),
            "found_by": f"内审员 {demo.name(QUALITY_MANAGER)}"
            if internal_audit
            else demo.name(creator),
            "department": department,
            "work_item": item,
            "description": description,
            "grade": grade,
        },
    )
    if fate == "open":
        return
    yield demo.days(1, 3)
    capa = grade == "serious"
    demo.step(
        demo.handler(department),
        number,
        "disposition",
        disposition=disposition,
        cause=cause,
        capa_required=capa,
    )
    if fate == "dispositioned":
        return
    if capa:
        yield demo.hours(2, 20)
        responsible = demo.handler(department)
        # worklists.open_capa copies the complaint's plan into the actions;
        # a nonconformity has none, so the report is created here (see report).
        capa_number = demo.create(
            QUALITY_MANAGER,
            "capa_report",
            {
                "title": title[:120],
                "source": number,
                "problem": description,
                "actions": f"针对“{cause}”：修订相关程序，组织培训并明确岗位职责。",
                "department": department,
                "responsible": responsible,
                "planned_date": (demo.today + timedelta(days=rng.randint(10, 20))).isoformat(),
            },
            department=department,
        )
        yield from capa_story(demo, capa_number, responsible, "technical", "normal")
    yield demo.days(1, 4)
    demo.step(
        QUALITY_MANAGER,
        number,
        "close",
        verification="处置已完成，抽查相关记录未再发现同类问题，同意关闭。",
    )


def feedback_story(demo: _Demo, reported: datetime, entry: tuple, fate: str) -> Story:
    product, model, problem, reported_by = entry
    rng = demo.rng
    controller = demo.controller()
    number = demo.create(
        controller,
        "quality_feedback",
        {
            "product": product,
            "model": model,
            "batch": f"{reported:%Y}-{rng.randint(1, 12):02d}{rng.choice('ABC')}",
            "customer": rng.choice(PROPERTY_COMPANIES),
            "reported_by": reported_by,
            "reported_on": reported.date().isoformat(),
            "problem": f"{product}（{model}）{problem}，共{rng.randint(3, 40)}台。",
            "quantity": rng.randint(3, 40),
        },
    )
    if fate == "reported":
        return
    yield demo.hours(1, 8)
    handler = demo.handler("AS")
    demo.step(controller, number, "forward", department="AS", handler=handler)
    if fate == "forwarded":
        return
    yield demo.days(2, 8)
    demo.step(
        handler,
        number,
        "handle",
        action="现场抽查并联系厂家分析原因，对故障产品免费更换，同批次产品加强入库检验。",
    )
    if fate == "capa":
        yield demo.hours(2, 24)
        capa_number = demo.create(
            QUALITY_MANAGER,
            "capa_report",
            {
                "title": f"{product}质量问题纠正措施",
                "source": number,
                "problem": demo.doc(number)["data"]["problem"],
                "actions": "要求供方提交质量改进报告；对该型号产品入库检验由抽检改为全检三个月。",
                "department": "AS",
                "responsible": handler,
                "planned_date": (demo.today + timedelta(days=rng.randint(14, 30))).isoformat(),
            },
            department="AS",
        )
        yield from capa_story(demo, capa_number, handler, "product_quality", "normal")


#: The handover log's shifts as the dispatchers name them.
SHIFT_NAMES = {"night": "夜班", "day": "白班", "middle": "中班"}


def handover_story(demo: _Demo, start: datetime, fate: str) -> Story:
    rng = demo.rng
    outgoing, incoming = rng.sample(demo.staff["HEAT"], 2)
    hour = start.hour
    shift = "night" if hour < 8 else "day" if hour < 16 else "middle"
    values = {
        "n": rng.randint(3, 15),
        "m": rng.randint(1, 3),
        "community": rng.choice(COMMUNITIES),
        "building": f"{rng.randint(1, 20)}号楼",
    }
    events = "\n".join(e.format(**values) for e in rng.sample(HANDOVER_EVENTS, 2))
    serious = rng.choice(HANDOVER_SERIOUS).format(**values) if rng.random() < 0.2 else None
    number = demo.create(
        outgoing,
        "handover_log",
        {
            "title": f"供热调度{start:%m月%d日}{SHIFT_NAMES[shift]}交接",
            "shift_date": start.date().isoformat(),
            "shift": shift,
            "handed_over_by": demo.name(outgoing),
            "taken_over_by": demo.name(incoming),
            "events": events,
            "serious_events": serious,
            "open_items": "跟踪处理未完成的报修单。" if rng.random() < 0.5 else None,
        },
    )
    if fate == "open":
        return
    yield start + timedelta(minutes=rng.randint(20, 40))
    demo.step(outgoing, number, "hand_over")
    if fate == "handed_over":
        return
    yield demo.now + timedelta(minutes=rng.randint(3, 15))
    demo.step(incoming, number, "accept")


def procedures_story(demo: _Demo, start: datetime, end: datetime) -> Story:
    """The procedures in force, one revised (B/0 supersedes A/0), one in
    review, one in draft."""
    controller = CONTROLLERS[0]
    effective = {}
    for code, title, body in PROCEDURES[:5]:
        edition = "A/1" if code == "QP-11" else "A/0"
        data = {"doc_code": code, "title": title, "doc_edition": edition, "body": body}
        if code != "QP-11":
            data["effective_date"] = (start.date() + timedelta(days=10)).isoformat()
        effective[code] = demo.create(controller, "procedure_document", data)
    yield demo.hours(1, 4)
    for code, number in effective.items():
        if code != "QP-11":
            demo.step(controller, number, "submit")
    yield demo.days(1, 3)
    for code, number in effective.items():
        if code != "QP-11":
            demo.step(DIRECTOR, number, "approve")
    # QP-08 is revised after half a year: B/0 replaces A/0.
    yield demo.office(start + (end - start) / 2)
    code, title, body = PROCEDURES[1]
    revision = demo.create(
        controller,
        "procedure_document",
        {
            "doc_code": code,
            "title": title,
            "doc_edition": "B/0",
            "body": f"{body}重要及以上投诉100%回访，重大投诉由主任审批处理方案并上门回访。",
            "change_summary": "增加回访比例要求和催办单流程。",
        },
    )
    yield demo.hours(1, 6)
    demo.step(controller, revision, "submit")
    yield demo.days(1, 2)
    demo.step(DIRECTOR, revision, "return", comment="请补充一般投诉回访比例不低于60%的规定。")
    yield demo.hours(2, 20)
    demo.revise(
        controller,
        revision,
        {
            "body": f"{body}重要及以上投诉100%回访，一般投诉回访比例不低于60%；重大投诉由主任"
            "审批处理方案并上门回访。",
            "effective_date": (demo.today + timedelta(days=7)).isoformat(),
        },
        reason="按主任意见补充回访比例",
    )
    demo.step(controller, revision, "submit")
    yield demo.days(1, 2)
    demo.step(DIRECTOR, revision, "approve")
    yield demo.hours(0.5, 3)
    demo.step(
        controller,
        effective["QP-08"],
        "supersede",
        comment=f"由B/0版替代，自{(demo.today + timedelta(days=7)).isoformat()}起停止使用。",
    )
    # QP-11 A/1 waits for approval; QP-12 is being drafted.
    yield demo.office(end - timedelta(days=12))
    demo.step(controller, effective["QP-11"], "submit")
    yield demo.office(end - timedelta(days=5))
    code, title, body = PROCEDURES[5]
    demo.create(
        controller,
        "procedure_document",
        {"doc_code": code, "title": title, "doc_edition": "A/0", "body": body},
    )


# --- planning -------------------------------------------------------------------


#: Complaints whose fates the demo always shows: (fate, days before now or
#: ("wd", working days before now), state it stops in).
SPECIAL_COMPLAINTS = (
    ("normal", ("hours", 2), "received"),
    ("normal", ("wd", 1), "dispatched"),
    ("normal", ("wd", 2), "plan_submitted"),
    ("normal", ("wd", 3), "approved"),
    ("normal", ("wd", 5), "replied"),
    ("stalled_unanswered", ("wd", 8), None),
    ("stalled_open", 25, None),
    ("stalled_answered", 150, None),
    ("rejected", 200, None),
    ("rejected_open", 14, None),
    ("major", 170, None),
    ("returned", 120, None),
    ("capa_not_effective", 230, None),
    ("capa_overdue", 45, None),
    ("void", 60, None),
    ("redispatch", 80, None),
    ("lowered", 95, None),
)


def _plan_complaints(demo: _Demo, count: int, end: datetime) -> list[_Complaint]:
    rng = demo.rng
    specs = []
    for fate, age, stop in SPECIAL_COMPLAINTS:
        if isinstance(age, tuple) and age[0] == "hours":
            received = end - timedelta(hours=age[1], minutes=rng.randint(0, 50))
        elif isinstance(age, tuple):
            received = demo.working_days_ago(age[1], end)
        else:
            received = demo.office(end - timedelta(days=age + rng.random()))
        specs.append(_Complaint(received=received, fate=fate, stop=stop))
    for _ in range(max(count - len(specs), 0)):
        received = end - timedelta(minutes=rng.randint(36 * 60, HISTORY_DAYS * 1440))
        if rng.random() < 0.85:
            received = demo.office(received)
        fate = rng.choices(
            ("normal", "returned", "redispatch", "rejected", "stalled_answered", "void"),
            (84, 4, 3, 3, 5, 1),
        )[0]
        specs.append(_Complaint(received=received.replace(second=0, microsecond=0), fate=fate))
    for spec in specs:
        _choose_template(demo, spec)
    return specs


def _choose_template(demo: _Demo, spec: _Complaint) -> None:
    rng = demo.rng
    departments, weights = zip(*DEPARTMENT_WEIGHTS, strict=True)
    heating = is_heating_season(spec.received.date())
    while True:
        department = rng.choices(departments, weights)[0]
        if spec.fate == "redispatch":
            department = "AS"
        fits = [
            t
            for t in COMPLAINTS[department]
            if t.get("season") in (None, "heating" if heating else "off")
        ]
        if spec.fate == "lowered":
            fits = [t for t in fits if t["kind"] == "resident" and "complainants" not in t]
        if spec.fate == "redispatch":
            fits = [t for t in fits if t["subject"] == "product_quality"]
        if spec.fate in ("capa_not_effective", "capa_overdue"):
            fits = [t for t in fits if t["capa"]]
        if fits:
            break
    spec.template = rng.choice(fits)
    spec.department = department
    spec.handler = demo.handler(department)
    if spec.fate == "major":
        spec.major = rng.choice(MAJOR_FACTS)
    kind = spec.template["kind"]
    spec.channel = rng.choice(
        ("hotline", "hotline", "hotline", "online", "visit", "box")
        if kind == "resident"
        else ("hotline", "email", "letter", "fax", "visit")
    )
    # The hotline operator is the first receiver of some complaints.
    spec.receiver = "zhengyu" if rng.random() < 0.25 else demo.controller()


def _spread(
    demo: _Demo, count: int, start: datetime, end: datetime, office: bool = True
) -> list[datetime]:
    moments = sorted(
        start + timedelta(minutes=demo.rng.randint(0, int((end - start).total_seconds() // 60)))
        for _ in range(count)
    )
    return [demo.office(m) if office else m for m in moments]


def _plan(demo: _Demo, complaints: int, start: datetime, end: datetime) -> None:
    """Put every story on the scheduler."""
    rng = demo.rng
    spawn = demo.scheduler.spawn
    for spec in _plan_complaints(demo, complaints, end):
        spawn(spec.received + timedelta(minutes=rng.randint(5, 40)), complaint_story(demo, spec))

    # Inquiries: answered, except a void one, a recent open one and two overdue.
    count = max(8, complaints // 3)
    moments = _spread(demo, count - 3, start, end - timedelta(days=3))
    inquiries = [
        (moment, "void" if index == 1 else "answered") for index, moment in enumerate(moments)
    ]
    inquiries += [
        (end - timedelta(hours=rng.randint(1, 3)), "open"),
        (demo.working_days_ago(4, end), "overdue"),
        (demo.office(end - timedelta(days=40)), "overdue"),
    ]
    for moment, fate in inquiries:
        spawn(moment, inquiry_story(demo, moment, rng.choice(INQUIRIES), fate))

    # Customer service sheets and on-site surveys: returned, some still out.
    count = max(6, complaints // 3)
    moments = _spread(demo, count, start, end - timedelta(days=20))
    for index, moment in enumerate(moments):
        fate = "void" if index == 1 else "overdue" if index == count - 1 else "returned"
        spawn(moment, service_sheet_story(demo, moment, rng.choice(("HEAT", "HEAT", "AS")), fate))
    for moment in (demo.working_days_ago(2, end), demo.working_days_ago(5, end)):
        spawn(moment, service_sheet_story(demo, moment, "HEAT", "open"))
    count = max(5, complaints // 4)
    moments = _spread(demo, count, start, end - timedelta(days=30))
    for moment in moments:
        spawn(moment, survey_story(demo, moment, rng.choice(("MET", "TEST")), "returned"))
    overdue_survey = demo.working_days_ago(20, end)
    spawn(overdue_survey, survey_story(demo, overdue_survey, "MET", "open"))
    recent_survey = demo.working_days_ago(3, end)
    spawn(recent_survey, survey_story(demo, recent_survey, "TEST", "open"))

    # Questionnaires: last year's survey at the start, this year's lately.
    count = max(6, complaints // 5)
    first = count * 3 // 5
    last_year = start.year - 1 if start.month <= 6 else start.year
    for moment in _spread(demo, first, start, start + timedelta(days=25)):
        spawn(moment, questionnaire_story(demo, moment, last_year, "filed"))
    recent = _spread(demo, count - first, end - timedelta(days=40), end - timedelta(days=2))
    for index, moment in enumerate(recent):
        fate = "open" if index >= len(recent) - 2 else "filed"
        spawn(moment, questionnaire_story(demo, moment, end.year, fate))

    # Satisfaction analyses, each quarter; the latest is still a draft.
    reports = []
    for year in range(start.year, end.year + 1):
        for quarter in range(4):
            first_day = date(year, quarter * 3 + 1, 1)
            last_day = date(year + (quarter == 3), (quarter * 3 + 3) % 12 + 1, 1) - timedelta(
                days=1
            )
            written = datetime.combine(last_day + timedelta(days=10), clock_time(10))
            if first_day >= start.date() - timedelta(days=30) and written < end:
                reports.append(
                    (
                        first_day,
                        last_day,
                        f"{year}年第{quarter + 1}季度顾客满意度统计分析报告",
                        written,
                    )
                )
    for index, (first_day, last_day, title, written) in enumerate(reports):
        spawn(
            demo.office(written),
            analysis_story(demo, first_day, last_day, title, approve=index < len(reports) - 1),
        )

    # Nonconformities and product quality feedback.
    count = max(4, complaints // 10)
    moments = _spread(demo, count, start, end - timedelta(days=10))
    for index, moment in enumerate(moments):
        fate = "open" if index == count - 1 else "dispositioned" if index == count - 2 else "closed"
        entry = NONCONFORMITIES[index % len(NONCONFORMITIES)]
        if fate != "closed":
            moment = demo.working_days_ago(1 if fate == "open" else 8, end)
        spawn(moment, nonconformity_story(demo, moment, entry, fate))
    count = max(4, complaints // 10)
    moments = _spread(demo, count, start, end - timedelta(days=10))
    for index, moment in enumerate(moments):
        fate = (
            "capa"
            if index == 0
            else "reported"
            if index == count - 1
            else "forwarded"
            if index == count - 2
            else "handled"
        )
        if fate in ("reported", "forwarded"):
            moment = demo.working_days_ago(1, end)
        spawn(moment, feedback_story(demo, moment, FEEDBACK[index % len(FEEDBACK)], fate))

    # Shift handovers of the heating company's dispatch desk.
    count = max(6, complaints // 3)
    for moment in _spread(demo, count - 2, start, end - timedelta(days=1), office=False):
        shift_end = datetime.combine(moment.date(), clock_time(rng.choice((8, 16, 23))))
        spawn(
            shift_end - timedelta(minutes=rng.randint(10, 30)),
            handover_story(demo, shift_end - timedelta(minutes=30), "accepted"),
        )
    spawn(end - timedelta(hours=9), handover_story(demo, end - timedelta(hours=9), "handed_over"))
    spawn(end - timedelta(minutes=20), handover_story(demo, end - timedelta(minutes=20), "open"))

    spawn(demo.office(start), procedures_story(demo, start, end))


# --- loading -----------------------------------------------------------------------


def database_is_empty() -> bool:
    """No users and no records: what ``portal demo --if-empty`` loads into."""
    return (
        User.objects.limit(1).first() is None
        and database().records.find_one({}, {"_id": 1}) is None
    )


def check_demo(password: str, *, force: bool = False, min_password_length: int = 10) -> None:
    """Raise :class:`DemoRefused` or :class:`accounts.AccountError` if
    :func:`load_demo` would refuse; nothing is written."""
    existing = database().records.count_documents({})
    if existing and not force:
        raise DemoRefused(
            f"The database already has {existing} records; the demo loads only "
            "into a database without records (--force loads it anyway)."
        )
    for spec in USERS:
        accounts.check_password_strength(password, min_password_length, spec.username)
        user = User.objects(username=spec.username).first()
        if (
            user is not None
            and spec.username not in PASSIVE
            and not accounts.verify_password(user, password)
        ):
            raise DemoRefused(
                f"The user {spec.username} exists with another password; "
                "load the demo with that password or into a fresh database."
            )


def load_demo(
    password: str,
    *,
    complaints: int = DEFAULT_COMPLAINTS,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    min_password_length: int = 10,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Load the demo organisation; answers a summary.

    Refused (:class:`DemoRefused`, nothing written) if the database already
    has records, unless ``force``. Users that exist already are reused."""
    started = time.perf_counter()
    check_demo(password, force=force, min_password_length=min_password_length)
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    seed_from_package()
    database().site_settings.update_one(
        {"_id": "organisation"}, {"$setOnInsert": {"name": ORGANISATION_NAME}}, upsert=True
    )
    for code, name in DEPARTMENTS:
        if Department.objects(code=code).first() is None:
            Department(code=code, name=name).save()
    users, kept = {}, []
    for spec in USERS:
        user = User.objects(username=spec.username).first()
        if user is None:
            user = accounts.create_user(
                spec.username,
                spec.full_name,
                password,
                roles=spec.roles,
                department=spec.department,
                positions=spec.positions,
                min_password_length=min_password_length,
            )
        elif not accounts.verify_password(user, password):
            kept.append(spec.username)
        users[spec.username] = user
    if log:
        log(f"{len(users)} users in {len(DEPARTMENTS)} departments; now the records…")

    end = clock.local_now().replace(second=0, microsecond=0) - timedelta(minutes=2)
    start = datetime.combine(end.date() - timedelta(days=HISTORY_DAYS), clock_time(8, 30))
    with _simulated_clock() as moment:
        scheduler = _Scheduler(moment, end)
        demo = _Demo(rng, password, users, scheduler, WorkingCalendar.load())
        _plan(demo, complaints, start, end)
        scheduler.run()
    escalated = escalate()

    db = database()
    counts = {
        record_type.name: db.records.count_documents({"type": record_type.name})
        for record_type in registry
    }
    return {
        "users": [
            dataclasses.asdict(spec) | {"kept_password": spec.username in kept} for spec in USERS
        ],
        "departments": [code for code, _name in DEPARTMENTS],
        "records": counts,
        "total": sum(counts.values()),
        "escalated": len(escalated),
        "overdue": db.records.count_documents({"due_at": {"$lt": clock.utcnow()}}),
        "seconds": round(time.perf_counter() - started, 1),
    }
