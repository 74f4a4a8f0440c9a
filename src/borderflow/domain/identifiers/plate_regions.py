"""Plate prefixes: Vietnamese province codes and Chinese province characters.

VN codes: Circular 24/2023/TT-BCA annex as summarised in REFERENCE.md §1.1 (repo
poohoh/regex_license_plate; xpewster/Peturland LicensePlateCodes). Pre-2025 codes
stay valid: no source says plate prefixes changed with the 2025 province merger.
CN characters: GA 36-2018, the 31 mainland provincial divisions (REFERENCE.md §1.2).
"""

from __future__ import annotations

VN_PROVINCES: dict[str, str] = {
    "11": "Cao Bằng", "12": "Lạng Sơn", "14": "Quảng Ninh", "15": "Hải Phòng", "16": "Hải Phòng",
    "17": "Thái Bình", "18": "Nam Định", "19": "Phú Thọ", "20": "Thái Nguyên", "21": "Yên Bái",
    "22": "Tuyên Quang", "23": "Hà Giang", "24": "Lào Cai", "25": "Lai Châu", "26": "Sơn La",
    "27": "Điện Biên", "28": "Hòa Bình", "29": "Hà Nội", "30": "Hà Nội", "31": "Hà Nội", "32": "Hà Nội",
    "33": "Hà Nội", "34": "Hải Dương", "35": "Ninh Bình", "36": "Thanh Hóa", "37": "Nghệ An",
    "38": "Hà Tĩnh", "39": "Đồng Nai", "40": "Hà Nội", "41": "TP Hồ Chí Minh", "43": "Đà Nẵng",
    "47": "Đắk Lắk", "48": "Đắk Nông", "49": "Lâm Đồng", "50": "TP Hồ Chí Minh", "51": "TP Hồ Chí Minh",
    "52": "TP Hồ Chí Minh", "53": "TP Hồ Chí Minh", "54": "TP Hồ Chí Minh", "55": "TP Hồ Chí Minh",
    "56": "TP Hồ Chí Minh", "57": "TP Hồ Chí Minh", "58": "TP Hồ Chí Minh", "59": "TP Hồ Chí Minh",
    "60": "Đồng Nai", "61": "Bình Dương", "62": "Long An", "63": "Tiền Giang", "64": "Vĩnh Long",
    "65": "Cần Thơ", "66": "Đồng Tháp", "67": "An Giang", "68": "Kiên Giang", "69": "Cà Mau",
    "70": "Tây Ninh", "71": "Bến Tre", "72": "Bà Rịa – Vũng Tàu", "73": "Quảng Bình", "74": "Quảng Trị",
    "75": "Thừa Thiên Huế", "76": "Quảng Ngãi", "77": "Bình Định", "78": "Phú Yên", "79": "Khánh Hòa",
    "81": "Gia Lai", "82": "Kon Tum", "83": "Sóc Trăng", "84": "Trà Vinh", "85": "Ninh Thuận",
    "86": "Bình Thuận", "88": "Vĩnh Phúc", "89": "Hưng Yên", "90": "Hà Nam", "92": "Quảng Nam",
    "93": "Bình Phước", "94": "Bạc Liêu", "95": "Hậu Giang", "97": "Bắc Kạn", "98": "Bắc Giang",
    "99": "Bắc Ninh",
}

CN_PROVINCES: dict[str, str] = {
    "京": "Beijing", "津": "Tianjin", "沪": "Shanghai", "渝": "Chongqing", "冀": "Hebei", "豫": "Henan",
    "云": "Yunnan", "辽": "Liaoning", "黑": "Heilongjiang", "湘": "Hunan", "皖": "Anhui", "鲁": "Shandong",
    "新": "Xinjiang", "苏": "Jiangsu", "浙": "Zhejiang", "赣": "Jiangxi", "鄂": "Hubei", "桂": "Guangxi",
    "甘": "Gansu", "晋": "Shanxi", "蒙": "Inner Mongolia", "陕": "Shaanxi", "吉": "Jilin", "闽": "Fujian",
    "贵": "Guizhou", "粤": "Guangdong", "青": "Qinghai", "藏": "Tibet", "川": "Sichuan", "宁": "Ningxia",
    "琼": "Hainan",
}

# Issuing offices seen at these gates (REFERENCE.md §1.2, repo 5chao/busPlate, weak).
CN_BORDER_CITIES: dict[str, str] = {
    "桂F": "Chongzuo (Pingxiang, Youyiguan)", "桂A": "Nanning", "桂P": "Fangchenggang (Dongxing)",
    "云G": "Honghe (Hekou, Jinshuihe)", "云H": "Wenshan (Tianbao)", "云A": "Kunming",
}
